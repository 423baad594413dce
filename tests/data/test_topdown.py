"""Top-down geometry, heatmap targets, decoding and TopDownDataset."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from posebh import skeletons
from posebh.data.dataset import TopDownDataset, instance_keypoints
from posebh.data.targets import generate_target, heatmap_coords
from posebh.data.topdown import (
    box_to_center_scale,
    crop_image,
    get_affine_matrix,
    invert_affine,
    sample_augmentation,
    transform_points,
)
from posebh.evaluation.decode import decode, flip_back, to_image_coords

# --------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("udp", [False, True])
@pytest.mark.parametrize("rot", [0.0, 33.0, -71.5])
def test_affine_round_trip(udp, rot):
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 300, size=(20, 2))
    m = get_affine_matrix((150.3, 120.7), (90.0, 120.0), rot, (96, 128), udp)
    back = transform_points(transform_points(pts, m), invert_affine(m))
    np.testing.assert_allclose(back, pts, atol=1e-9)
    # the centre lands in the middle of the crop
    mid = np.array([47.5, 63.5]) if udp else np.array([48.0, 64.0])
    np.testing.assert_allclose(transform_points(np.array([150.3, 120.7]), m), mid, atol=1e-9)


def test_box_to_center_scale_aspect():
    c, s = box_to_center_scale((10, 20, 30, 100), aspect_ratio=0.75, padding=1.25)
    np.testing.assert_allclose(c, [25, 70])
    np.testing.assert_allclose(s, [75 * 1.25, 100 * 1.25])


def test_crop_matches_pixel_centre_convention():
    img = np.zeros((50, 60, 3), np.uint8)
    img[20, 30] = 255
    for rot in (0.0, 90.0):
        m = get_affine_matrix((30, 20), (16, 12), rot, (16, 12), udp=False)
        out = crop_image(img, m, (16, 12))
        x, y = transform_points(np.array([30.0, 20.0]), m)
        assert out.shape == (12, 16, 3)
        assert out[int(round(y)), int(round(x)), 0] == 255


def test_augmentation_ranges():
    rng = np.random.default_rng(1)
    draws = [sample_augmentation(rng) for _ in range(2000)]
    s = np.array([d.scale_factor for d in draws])
    r = np.array([d.rotation for d in draws])
    f = np.array([d.flip for d in draws])
    assert s.min() >= 0.5 and s.max() <= 1.5
    assert np.abs(r).max() <= 80
    assert 0.3 < (r != 0).mean() < 0.7
    assert 0.45 < f.mean() < 0.55


# --------------------------------------------------------------------------- targets


def test_msra_target_peak_and_weights():
    kps = np.array([[41.0, 50.0], [10.3, 22.6], [-60.0, 10.0], [20.0, 20.0], [97.0, 60.0]])
    vis = np.array([2, 1, 2, 0, 2])
    t, w = generate_target(kps, vis, (96, 128), (24, 32), sigma=2.0, udp=False, max_keypoints=8)
    assert t.shape == (8, 32, 24) and w.shape == (8,) and t.dtype == np.float32
    # peak at int(x / 4 + 0.5)
    assert np.unravel_index(t[0].argmax(), t[0].shape) == (int(50 / 4 + 0.5), int(41 / 4 + 0.5))
    assert t[0].max() == pytest.approx(1.0)
    assert np.unravel_index(t[1].argmax(), t[1].shape) == (6, 3)
    assert t[1].max() == pytest.approx(1.0)
    np.testing.assert_array_equal(w, [1, 1, 0, 0, 1, 0, 0, 0])  # far outside, invisible, padding
    assert not t[2].any() and not t[3].any() and not t[5:].any()
    # mmpose rule: just outside but the window overlaps -> kept; drop_outside -> 0
    assert t[4].any()
    _, w2 = generate_target(kps, vis, (96, 128), (24, 32), drop_outside=True)
    assert w2[4] == 0 and w2[0] == 1
    # window truncated at 3 sigma
    assert (t[0] > 0).sum() == 13 * 13


def test_udp_target_subpixel_peak_and_joint_weights():
    kps = np.array([[40.37, 61.81]])
    t, w = generate_target(kps, [1], (96, 128), (24, 32), udp=True, joint_weights=np.array([1.5]))
    mu = heatmap_coords(kps, (96, 128), (24, 32), udp=True)[0]
    np.testing.assert_allclose(mu, [40.37 * 23 / 95, 61.81 * 31 / 127])
    ys, xs = np.mgrid[:32, :24]
    expected = np.exp(-((xs - mu[0]) ** 2 + (ys - mu[1]) ** 2) / 8.0)
    near = (np.abs(xs - np.trunc(mu[0] + 0.5)) <= 6) & (np.abs(ys - np.trunc(mu[1] + 0.5)) <= 6)
    np.testing.assert_allclose(t[0], np.where(near, expected, 0), atol=1e-6)
    assert w[0] == pytest.approx(1.5)


# --------------------------------------------------------------------------- decoding


def test_decode_mmpose_fixture_default():
    hm = np.ones((1, 1, 64, 64), np.float32)
    hm[0, 0, 31, 31] = 2
    coords, maxvals = decode(hm, udp=False)
    center, scale = np.array([[127.0, 127.0]]), np.array([[64.0, 64.0]])  # mmpose scale 64/200
    preds = to_image_coords(coords, center, scale, (64, 64), udp=False)
    np.testing.assert_allclose(preds, [[[126, 126]]], atol=1e-5)
    np.testing.assert_allclose(maxvals, [[2]])
    # DARK and DARK-UDP keep the symmetric peak in place
    for udp, dark in ((False, True), (True, None)):
        c, _ = decode(hm, udp=udp, dark=dark)
        np.testing.assert_allclose(c, [[[31, 31]]], atol=1e-4)
    # torch input, input unchanged
    t = torch.from_numpy(hm.copy())
    c, m = decode(t, udp=True)
    assert isinstance(c, np.ndarray) and torch.equal(t, torch.from_numpy(hm))


def test_decode_recovers_targets():
    # 256x192 input / 64x48 heatmaps (ViTPose++); keypoints >= 10 heatmap px from the border,
    # where the reflect-101 blur of DARK-UDP is unbiased (near the border it is biased, as in
    # mmpose)
    rng = np.random.default_rng(3)
    n, inp, hms = 60, (192, 256), (48, 64)
    kps = np.stack([rng.uniform(40, 152, n), rng.uniform(40, 216, n)], axis=1)
    # UDP targets: DARK-UDP sub-pixel exact, default within 0.3
    t, _ = generate_target(kps, np.ones(n), inp, hms, udp=True)
    mu = heatmap_coords(kps, inp, hms, udp=True)
    c, m = decode(t[None], udp=True)
    assert np.abs(c[0] - mu).max() < 0.1
    np.testing.assert_allclose(m, 1.0, atol=0.15)
    c, _ = decode(t[None], udp=True, dark=False)
    assert np.abs(c[0] - mu).max() < 0.3
    # MSRA targets (integer centres): default and DARK both recover the rounded centre
    t, _ = generate_target(kps, np.ones(n), inp, hms, udp=False)
    mu_int = np.trunc(heatmap_coords(kps, inp, hms, udp=False) + 0.5)
    for dark in (None, True):
        c, _ = decode(t[None], udp=False, dark=dark)
        assert np.abs(c[0] - mu_int).max() < 0.1
    # DARK on sub-pixel Gaussians (non-UDP grid)
    ys, xs = np.mgrid[:32, :24]
    mu = np.stack([rng.uniform(4, 19, 10), rng.uniform(4, 27, 10)], axis=1)
    g = np.exp(-((xs - mu[:, :1, None]) ** 2 + (ys - mu[:, 1:, None]) ** 2) / 8.0)
    c, _ = decode(g[None], udp=False, dark=True)
    assert np.abs(c[0] - mu).max() < 0.1
    c, _ = decode(g[None], udp=False)
    assert np.abs(c[0] - mu).max() < 0.3


@pytest.mark.parametrize("udp", [False, True])
def test_image_round_trip_through_heatmaps(udp):
    rng = np.random.default_rng(5)
    img_kps = np.stack([rng.uniform(135, 165, 12), rng.uniform(115, 155, 12)], axis=1)
    # 1.5 image px per heatmap px
    center, scale, rot = np.array([150.0, 135.0]), np.array([72.0, 96.0]), 20.0
    m = get_affine_matrix(center, scale, rot, (192, 256), udp)
    t, w = generate_target(transform_points(img_kps, m), np.ones(12), (192, 256), (48, 64), udp=udp)
    assert (w > 0).all()
    c, _ = decode(t[None], udp=udp, dark=True)
    back = to_image_coords(c, center[None], scale[None], (48, 64), udp, rotation=np.array([rot]))
    tol = 0.2 if udp else 1.2  # MSRA targets are centred on rounded heatmap pixels
    assert np.abs(back[0] - img_kps).max() < tol


def test_flip_back():
    rng = np.random.default_rng(0)
    hm = rng.random((2, 17, 8, 6)).astype(np.float32)
    fi = skeletons.get("coco").flip_index()
    np.testing.assert_array_equal(flip_back(flip_back(hm, fi), fi), hm)
    out = flip_back(hm, fi, shift=True)
    np.testing.assert_array_equal(out[:, :, :, 1:], hm[:, fi, :, ::-1][:, :, :, :-1])
    np.testing.assert_array_equal(out[..., 0], hm[:, fi][..., -1])
    t = flip_back(torch.from_numpy(hm), fi, shift=True)
    np.testing.assert_array_equal(t.numpy(), out)


# --------------------------------------------------------------------------- dataset


def _coco(tmp_path, dataset="coco", n_img=2, wholebody=False):
    k = 17
    rng = np.random.default_rng(42)
    images, anns = [], []
    for i in range(n_img):
        arr = rng.integers(0, 255, size=(120, 160, 3), dtype=np.uint8)
        Image.fromarray(arr).save(tmp_path / f"{i}.png")
        images.append({"id": i + 1, "file_name": f"{i}.png", "width": 160, "height": 120})
        for j in range(2):
            x0, y0 = 30 + 50 * j, 20
            kps = np.zeros((k, 3))
            kps[:, 0] = rng.uniform(x0, x0 + 40, k)
            kps[:, 1] = rng.uniform(y0, y0 + 80, k)
            kps[:, 2] = 2
            kps[3, 2] = 0
            kps[3, :2] = 0
            ann = {
                "id": 100 * i + j,
                "image_id": i + 1,
                "bbox": [x0, y0, 40, 80],
                "iscrowd": 0,
                "num_keypoints": k - 1,
                "keypoints": kps.reshape(-1).tolist(),
            }
            if wholebody:
                parts = ("foot_kpts", 6), ("face_kpts", 68), ("lefthand_kpts", 21)
                parts += (("righthand_kpts", 21),)
                for f, n in parts:
                    p = np.zeros((n, 3))
                    p[:, 0] = rng.uniform(x0, x0 + 40, n)
                    p[:, 1] = rng.uniform(y0, y0 + 80, n)
                    p[:, 2] = 1
                    ann[f] = p.reshape(-1).tolist()
            anns.append(ann)
    anns.append({"id": 999, "image_id": 1, "bbox": [0, 0, 50, 50], "iscrowd": 1, "num_keypoints": 0,
                 "keypoints": [0] * (3 * k)})
    anns.append({"id": 998, "image_id": 1, "bbox": [5, 5, 20, 30], "iscrowd": 0, "num_keypoints": 0,
                 "keypoints": [0] * (3 * k)})
    return {"images": images, "annotations": anns}


def test_dataset_sample_and_determinism(tmp_path):
    coco = _coco(tmp_path)
    ds = TopDownDataset(coco, tmp_path, "coco", 0, max_keypoints=133, seed=7)
    assert len(ds) == 4
    s = ds[1]
    assert s["image"].shape == (3, 128, 96) and s["image"].dtype == torch.float32
    assert s["target"].shape == (133, 32, 24) and s["target_weight"].shape == (133,)
    assert s["target_weight"][17:].abs().sum() == 0 and s["target"][17:].abs().sum() == 0
    assert s["target_weight"][3] == 0
    assert s["dataset_idx"].dtype == torch.int64 and s["num_keypoints"] == 17
    assert s["bbox_score"] == 1.0
    again = TopDownDataset(coco, tmp_path, "coco", 0, max_keypoints=133, seed=7)[1]
    for key in ("image", "target", "target_weight", "scale"):
        assert torch.equal(s[key], again[key])
    assert s["rotation"] == again["rotation"] and s["flipped"] == again["flipped"]
    # another epoch -> other augmentation
    def draws():
        return [(ds[i]["rotation"], float(ds[i]["scale"][0]), ds[i]["flipped"]) for i in range(4)]

    params = draws()
    ds.set_epoch(1)
    params1 = draws()
    assert sum(a != b for a, b in zip(params, params1)) >= 3
    fresh = TopDownDataset(coco, tmp_path, "coco", 0, seed=7)
    assert not torch.equal(ds[0]["image"], fresh[0]["image"])
    ds.set_epoch(0)
    assert torch.equal(ds[1]["image"], s["image"])
    # eval: every non-crowd box, no augmentation
    ev = TopDownDataset(coco, tmp_path, "coco", 0, train=False)
    assert len(ev) == 5
    e = ev[0]
    assert e["rotation"] == 0.0 and not e["flipped"]
    ev2 = TopDownDataset(coco, tmp_path, "coco", 0, train=False, eval_require_keypoints=True)
    assert len(ev2) == 4
    # eval crop content equals the direct affine crop
    arr = np.asarray(Image.open(tmp_path / "0.png"))
    m = get_affine_matrix(e["center"].numpy(), e["scale"].numpy(), 0.0, (96, 128), udp=True)
    ref = crop_image(arr, m, (96, 128)).transpose(2, 0, 1) / 255.0
    mean = np.array([0.485, 0.456, 0.406])[:, None, None]
    std = np.array([0.229, 0.224, 0.225])[:, None, None]
    np.testing.assert_allclose(e["image"].numpy(), (ref - mean) / std, atol=1e-5)


@pytest.mark.parametrize("name", ["coco", "ap10k"])
def test_flip_augmentation_swaps_left_right(tmp_path, name):
    coco = _coco(tmp_path, n_img=1)
    noaug = {"rot_prob": 0.0, "scale_factor": 0.0, "flip_prob": 0.0}
    a = TopDownDataset(coco, tmp_path, name, 0, aug=noaug)[0]
    b = TopDownDataset(coco, tmp_path, name, 0, aug={**noaug, "flip_prob": 1.0})[0]
    assert not a["flipped"] and b["flipped"]
    fi = skeletons.get(name).flip_index()
    assert (fi != np.arange(17)).any()
    udp = skeletons.get(name).udp
    # a flipped sample's heatmaps, flipped back (1-px shift for plain heads), equal the originals
    back = flip_back(b["target"][None].numpy(), fi, shift=not udp)[0]
    cols = slice(None) if udp else slice(1, None)
    np.testing.assert_allclose(back[..., cols], a["target"].numpy()[..., cols], atol=1e-5)
    np.testing.assert_array_equal(b["target_weight"].numpy()[fi], a["target_weight"].numpy())
    if udp:  # the UDP crop of the flipped image is the exact mirror of the crop
        np.testing.assert_allclose(b["image"].numpy(), a["image"].numpy()[..., ::-1], atol=1e-4)


def test_wholebody_concatenation(tmp_path):
    coco = _coco(tmp_path, n_img=1, wholebody=True)
    k = instance_keypoints(coco["annotations"][0], "coco_wholebody")
    assert k.shape == (133, 3)
    ann = coco["annotations"][0]
    np.testing.assert_array_equal(k[17:23], np.asarray(ann["foot_kpts"]).reshape(-1, 3))
    np.testing.assert_array_equal(k[-21:], np.asarray(ann["righthand_kpts"]).reshape(-1, 3))
    assert instance_keypoints(coco["annotations"][0], "coco").shape == (17, 3)
    ds = TopDownDataset(coco, tmp_path, "coco_wholebody", 5, max_keypoints=133)
    s = ds[0]
    assert s["num_keypoints"] == 133 and s["target"].shape == (133, 32, 24)
    assert int(s["dataset_idx"]) == 5
    assert (s["target_weight"][17:] > 0).sum() > 50
