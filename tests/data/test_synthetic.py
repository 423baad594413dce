"""The rendered synthetic benchmark: determinism, annotation invariants, cues, offsets, videos."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pytest
from PIL import Image

from posebh import skeletons
from posebh.data import bodies, figure, render, synthetic

ALL = ("coco", "aic", "mpii", "ap10k", "apt36k", "coco_wholebody", "interhand2d", "pw3d")
CANVAS = (160, 160)


def _kpts(ann: dict, dataset: str) -> np.ndarray:
    flat = synthetic.wholebody_keypoints(ann) if dataset == "coco_wholebody" else ann["keypoints"]
    return np.asarray(flat, dtype=np.float64).reshape(-1, 3)


def _files(d, root):
    return {img["file_name"]: (root / img["file_name"]).read_bytes() for img in d["images"]}


def test_determinism(tmp_path):
    a = synthetic.render_split("coco", 3, seed=7, image_dir=tmp_path / "a")
    b = synthetic.render_split("coco", 3, seed=7, image_dir=tmp_path / "b")
    c = synthetic.render_split("coco", 3, seed=8, image_dir=tmp_path / "c")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert _files(a, tmp_path / "a") == _files(b, tmp_path / "b")
    assert json.dumps(a["annotations"]) != json.dumps(c["annotations"])
    assert _files(a, tmp_path / "a") != _files(c, tmp_path / "c")


def test_datasets_differ_for_same_seed(tmp_path):
    a = synthetic.render_split("coco", 2, seed=0, image_dir=tmp_path / "a")
    b = synthetic.render_split("pw3d", 2, seed=0, image_dir=tmp_path / "b")
    assert a["annotations"][0]["bbox"] != b["annotations"][0]["bbox"]


@pytest.mark.parametrize("dataset", ALL)
def test_annotation_invariants(tmp_path, dataset):
    sk = skeletons.get(dataset)
    d = synthetic.render_split(dataset, 6, seed=3, image_dir=tmp_path, canvas=CANVAS)
    assert d["info"] == {"dataset": dataset, "description": "posebh synthetic", "seed": 3}
    assert len(d["images"]) == len(d["annotations"]) == 6
    cat_ids = {c["id"] for c in d["categories"]}
    W, H = CANVAS
    for img, ann in zip(d["images"], d["annotations"]):
        assert (img["width"], img["height"]) == CANVAS
        assert Image.open(tmp_path / img["file_name"]).size == CANVAS
        assert ann["image_id"] == img["id"] and ann["iscrowd"] == 0
        assert ann["category_id"] in cat_ids
        k = _kpts(ann, dataset)
        assert k.shape == (sk.num_keypoints, 3)
        v = k[:, 2]
        assert set(np.unique(v)) <= {0, 1, 2}
        assert np.all(k[v == 0, :2] == 0)
        vis = k[v > 0]
        assert np.all((vis[:, 0] >= 0) & (vis[:, 0] <= W) & (vis[:, 1] >= 0) & (vis[:, 1] <= H))
        body = np.asarray(ann["keypoints"]).reshape(-1, 3)
        assert ann["num_keypoints"] == int((body[:, 2] > 0).sum())
        x, y, w, h = ann["bbox"]
        assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= W and y + h <= H
        assert 0 < ann["area"] <= w * h
        assert ("head_bbox" in ann) == (sk.domain == "human")
        if "head_bbox" in ann:
            hx, hy, hw, hh = ann["head_bbox"]
            assert hw > 0 and hh > 0 and hx + hw <= W and hy + hh <= H
    # most keypoints of a moderate benchmark are labelled
    allv = np.concatenate([_kpts(a, dataset)[:, 2] for a in d["annotations"]])
    assert (allv > 0).mean() > 0.8


def test_wholebody_format(tmp_path):
    d = synthetic.render_split("coco_wholebody", 3, seed=1, image_dir=tmp_path)
    for ann in d["annotations"]:
        for field, n in (("keypoints", 17), ("foot_kpts", 6), ("face_kpts", 68),
                         ("lefthand_kpts", 21), ("righthand_kpts", 21)):
            assert len(ann[field]) == 3 * n
        for part in ("foot", "face", "lefthand", "righthand"):
            assert isinstance(ann[f"{part}_valid"], bool)
        for part in ("face", "lefthand", "righthand"):
            box = ann[f"{part}_box"]
            assert len(box) == 4 and (box[2] > 0) == ann[f"{part}_valid"]
        assert len(synthetic.wholebody_keypoints(ann)) == 133 * 3
    assert d["categories"][0]["keypoints"] == list(skeletons.get("coco").keypoints)


def test_animal_categories_consistent(tmp_path):
    a = synthetic.render_split("ap10k", 4, seed=0, image_dir=tmp_path / "a")
    b = synthetic.render_split("apt36k", 2, seed=0, image_dir=tmp_path / "b")
    assert a["categories"] == b["categories"]
    assert [c["name"] for c in a["categories"]] == list(bodies.SPECIES_NAMES)
    assert len(a["categories"]) >= 5


def _fixed_human(rng: np.random.Generator) -> figure.Figure:
    """An unoccluded figure with both arms held out sideways (forearms well clear of the body)."""
    pose = bodies.sample_human_pose(rng)
    pose.update(lean=0.0, tilt=0.0)
    for side in ("left", "right"):
        pose[side].update(upper=90.0, fore=95.0, hand=95.0)
    fig = bodies.build_human(rng, pose)
    return figure.place(fig, CANVAS, 0.8, 0.0, (0.0, 0.0))


def test_left_right_colour_cue():
    rng = np.random.default_rng(0)
    for _ in range(5):
        fig = _fixed_human(rng)
        col = render.figure_colours(fig, rng)
        layer = Image.new("RGBA", CANVAS, (0, 0, 0, 0))
        render.draw_figure(layer, fig, col)
        px = {}
        for side in ("left", "right"):
            mid = 0.5 * (fig.p(f"{side}_elbow") + fig.p(f"{side}_wrist"))
            px[side] = layer.getpixel((int(round(mid[0])), int(round(mid[1]))))[:3]
        assert px["left"] == col["arm_L"] and px["right"] == col["arm_R"]
        assert sum(px["left"]) > sum(px["right"]) + 100  # left lighter, right darker
        # the subject's left is on the image right (frontal figure)
        assert fig.p("left_wrist")[0] > fig.p("right_wrist")[0]


def test_cross_dataset_offsets():
    fig = _fixed_human(np.random.default_rng(1))
    kp = bodies.all_dataset_keypoints(fig)
    assert set(kp) == {"coco", "aic", "mpii", "coco_wholebody", "pw3d"}
    for name, arr in kp.items():
        assert arr.shape == (skeletons.get(name).num_keypoints, 2)

    def get(ds, name):
        return kp[ds][skeletons.get(ds).index(name)]

    s = fig.scale
    aic_top, mpii_top = get("aic", "head_top"), get("mpii", "head_top")
    assert aic_top[1] < mpii_top[1] - 0.01 * s  # AIC head_top sits higher
    assert np.linalg.norm(aic_top - mpii_top) < 0.05 * s  # ... but on the same head
    # SMPL hips further inside than COCO hips
    assert abs(get("pw3d", "left_hip")[0] - get("pw3d", "right_hip")[0]) < \
        abs(get("coco", "left_hip")[0] - get("coco", "right_hip")[0])
    # MPII pelvis: between the hips, slightly raised
    hips = 0.5 * (get("mpii", "left_hip") + get("mpii", "right_hip"))
    assert get("mpii", "pelvis")[1] < hips[1]
    # wholebody body block == coco
    np.testing.assert_allclose(kp["coco_wholebody"][:17], kp["coco"])
    animal = figure.place(bodies.build_animal(np.random.default_rng(2)), CANVAS, 0.7, 0, (0, 0))
    ak = bodies.all_dataset_keypoints(animal)
    assert not np.allclose(ak["ap10k"], ak["apt36k"])
    hand = figure.place(bodies.build_hand(np.random.default_rng(3)), CANVAS, 0.8, 0, (0, 0))
    assert bodies.all_dataset_keypoints(hand)["interhand2d"].shape == (21, 2)


def test_render_videos(tmp_path):
    n_videos, frames = 3, 15
    raw = synthetic.render_videos("apt36k", n_videos, frames, seed=5, image_dir=tmp_path)
    assert {"info", "license", "images", "annotations", "categories"} <= set(raw)
    imgs, anns = raw["images"], raw["annotations"]
    assert len(imgs) == len(anns) == n_videos * frames
    assert len({i["id"] for i in imgs}) == len(imgs)
    assert [i["video_id"] for i in imgs] == [v for v in range(1, n_videos + 1) for _ in range(frames)]
    for img, ann in zip(imgs, anns):
        parts = img["file_name"].split("\\")
        assert len(parts) == 4 and parts[0] == "apt36k" and "/" not in img["file_name"]
        assert parts[1] in bodies.SPECIES_NAMES and parts[2].startswith("clip_")
        assert (tmp_path / parts[1] / parts[2] / parts[3]).is_file()
        assert ann["image_id"] == img["id"] and ann["video_id"] == img["video_id"]
        assert ann["is_crowd"] == 0 and "iscrowd" not in ann and "track_id" in ann
        assert ann["category_id"] == bodies.SPECIES_NAMES.index(parts[1]) + 1
        k = np.asarray(ann["keypoints"]).reshape(-1, 3)
        assert ann["num_keypoints"] == int((k[:, 2] > 0).sum())
    # frames in order within a clip
    first = [i["file_name"].split("\\")[-1] for i in imgs[:frames]]
    assert first == [f"{f:04d}.png" for f in range(frames)]
    # smooth motion: consecutive frames move much less than arbitrary frame pairs
    for v in range(n_videos):
        k = np.stack([np.asarray(a["keypoints"]).reshape(-1, 3)
                      for a in anns[v * frames:(v + 1) * frames]])

        def disp(i, j):
            ok = (k[i, :, 2] > 0) & (k[j, :, 2] > 0)
            return np.linalg.norm(k[i, ok, :2] - k[j, ok, :2], axis=1).mean() if ok.any() else np.nan

        consec = np.nanmean([disp(i, i + 1) for i in range(frames - 1)])
        pairs = np.nanmean([disp(i, j) for i, j in combinations(range(frames), 2)])
        assert consec < 0.5 * pairs
    # deterministic
    again = synthetic.render_videos("apt36k", 1, 4, seed=5, image_dir=tmp_path / "x")
    twice = synthetic.render_videos("apt36k", 1, 4, seed=5, image_dir=tmp_path / "y")
    assert again == twice
