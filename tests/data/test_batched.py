"""The batched data path against the per-sample reference (PIL crop, ``generate_target``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import default_collate

from support import random_coco

from posebh.data.batched import crop_batch, generate_targets
from posebh.data.dataset import TopDownDataset
from posebh.data.mixed import EpochKeys, MixedDataset, collate
from posebh.data.targets import generate_target
from posebh.data.topdown import crop_image, get_affine_matrix, invert_affine


def _inside(shape: tuple[int, int], m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W) mask of crop pixels whose four bilinear taps all lie inside the image."""
    w, h = size
    u, v = np.meshgrid(np.arange(w), np.arange(h))
    inv = invert_affine(m)
    sx = inv[0, 0] * u + inv[0, 1] * v + inv[0, 2]
    sy = inv[1, 0] * u + inv[1, 1] * v + inv[1, 2]
    return (sx >= 0.01) & (sy >= 0.01) & (sx <= shape[1] - 1.01) & (sy <= shape[0] - 1.01)


def test_crops_equal_the_reference_inside_the_image_for_mixed_image_sizes():
    rng = np.random.default_rng(0)
    shapes = [(60, 80), (120, 50), (33, 47), (200, 160)]
    images = [rng.integers(0, 256, (*s, 3), dtype=np.uint8) for s in shapes]
    size = (24, 32)
    mats = np.stack([get_affine_matrix((s[1] * 0.5, s[0] * 0.4), (s[1] * 0.6, s[0] * 0.7),
                                       float(r), size, udp) for s, r, udp in
                     zip(shapes, (0, 25, -60, 170), (False, True, False, True))])
    out = crop_batch(images, mats, size).permute(0, 2, 3, 1).numpy()  # (B, H, W, 3)
    for b, (im, m) in enumerate(zip(images, mats)):
        ref = crop_image(im, m, size).astype(np.float32)
        inside = _inside(im.shape[:2], m, size)
        assert inside.sum() > 100
        diff = np.abs(out[b] - ref)[inside]
        assert diff.max() <= 1.0 and (diff > 0).mean() < 0.1, b  # PIL's coordinate arithmetic


def test_crop_border_blends_with_zero_like_cv2():
    """Crop x 0 reads image x -0.25 of a constant image: 3/4 of the value (cv2.warpAffine with
    borderValue 0); PIL, the reference, clamps it to the edge pixel instead."""
    im = np.full((4, 4, 3), 200, dtype=np.uint8)
    m = np.array([[1.0, 0.0, 0.25], [0.0, 1.0, 0.0]])  # crop x = image x + 0.25
    out = crop_batch([im], m[None], (4, 4))[0, 0].numpy()  # (H, W)
    assert out[1].tolist() == [150.0, 200.0, 200.0, 200.0]
    assert crop_image(im, m, (4, 4))[1, 0, 0] == 200


@pytest.mark.parametrize("udp", [False, True])
def test_targets_equal_the_reference_exactly(udp):
    rng = np.random.default_rng(1)
    b, k, kmax = 6, 17, 21
    joints = np.zeros((b, kmax, 2))
    visible = np.zeros((b, kmax))
    joints[:, :k] = rng.uniform(-20, 120, (b, k, 2))
    visible[:, :k] = rng.integers(0, 3, (b, k))
    joints[0, 3] = np.nan  # a non-finite joint gets weight 0
    jw = np.ones((b, kmax))
    jw[:, :k] = rng.uniform(0.5, 1.5, k)
    for drop in (False, True):
        target, weight = generate_targets(joints, visible, np.full(b, udp), (96, 128), (24, 32),
                                          2.0, jw, drop)
        for r in range(b):
            t, w = generate_target(joints[r, :k], visible[r, :k], (96, 128), (24, 32), 2.0, udp,
                                   jw[r, :k], drop, kmax)
            assert np.array_equal(target[r], t) and np.array_equal(weight[r], w)


def _mixed(tmp_path, **kw) -> MixedDataset:
    sets = [TopDownDataset(random_coco(tmp_path, name, 6, i), tmp_path, name, i, max_keypoints=17,
                           seed=3) for i, name in enumerate(("coco", "ap10k"))]  # UDP, MSRA
    return MixedDataset(sets, **kw)


def test_mixed_batches_equal_the_reference_batches(tmp_path):
    fast, ref = _mixed(tmp_path), _mixed(tmp_path, fast=False)
    keys = [(e, i) for e in (0, 1) for i in (5, 0, 7, 11, 2, 6)]
    a = fast.__getitems__(keys)
    b = default_collate(ref.__getitems__(keys))
    assert set(a) == set(b)
    for name in b:
        if name != "image":
            assert torch.equal(a[name], b[name]), name
    diff = (a["image"] - b["image"]).abs()
    assert (diff > 1e-4).float().mean() < 0.05  # the image border (zero blend vs PIL clamp)
    assert not torch.equal(a["target"][:6], a["target"][6:])  # epoch 1 draws differ from 0


def test_grouped_rows_are_a_stable_sort_by_dataset(tmp_path):
    ds = _mixed(tmp_path, group_rows=True)
    batch = ds.__getitems__([(0, i) for i in (7, 1, 9, 0, 3)])
    assert batch["dataset_idx"].tolist() == [0, 0, 0, 1, 1]
    assert batch["ann_id"].tolist() == [1, 0, 3, 1, 3]


def test_worker_processes_draw_each_epoch(tmp_path):
    """Persistent workers keep their copy of the datasets: the epoch travels with the key."""
    ds = _mixed(tmp_path)

    def epochs(workers: int) -> list[torch.Tensor]:
        sampler = EpochKeys(torch.utils.data.DistributedSampler(ds, 1, 0, shuffle=False))
        loader = torch.utils.data.DataLoader(ds, batch_size=4, sampler=sampler,
                                             collate_fn=collate, num_workers=workers,
                                             persistent_workers=workers > 0)
        out = []
        for e in range(2):
            sampler.set_epoch(e)
            out.append(torch.cat([b["target"] for b in loader]))
        return out

    single, workers = epochs(0), epochs(1)
    assert not torch.equal(single[0], single[1])
    for a, b in zip(single, workers):
        assert torch.equal(a, b)
