"""Body-part t-SNE: every keypoint of every skeleton has a part; unused prototypes are found."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from posebh import body_parts, skeletons
from posebh.reporting import tsne


@pytest.mark.parametrize("name", list(skeletons.load_skeletons()))
def test_every_keypoint_has_a_known_part(name):
    parts = body_parts.body_parts(name)
    assert len(parts) == skeletons.get(name).num_keypoints
    assert set(parts) <= set(body_parts.part_names())


def test_wholebody_face_and_hands_ranges():
    parts = body_parts.body_parts("coco_wholebody")
    names = skeletons.get("coco_wholebody").keypoints
    assert {names[i] for i, p in enumerate(parts) if p == "face"} == {f"face-{i}" for i in range(68)}
    assert all(("hand" in n or "thumb" in n or "finger" in n) for n, p in zip(names, parts) if p == "hands")
    assert parts.count("hands") == 42 and parts.count("feet") == 8  # ankles + 6 foot points


def test_a_bad_table_is_one_line_naming_the_file(tmp_path, monkeypatch):
    raw = json.loads(body_parts._PARTS.read_text())
    raw["datasets"]["coco"]["feet"] = [[15, 16]]  # right_ankle left without a part
    bad = tmp_path / "body_parts.json"
    bad.write_text(json.dumps(raw))
    monkeypatch.setattr(body_parts, "_PARTS", bad)
    body_parts.body_parts.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"body_parts.json: coco: keypoints \[16\] have no part"):
            body_parts.body_parts("coco")
    finally:
        body_parts.body_parts.cache_clear()


def test_unused_from_pixels_then_init_then_none():
    bank = torch.randn(3, 2, 4)
    init = bank.clone()
    bank[1] += 1.0  # keypoint 1 moved; 0 and 2 still at init
    assert tsne.unused_keypoints({"bank": bank, "init": init}).tolist() == [True, False, True]
    assert tsne.unused_keypoints({"bank": bank, "init": init, "pixels": [5, 0, 2]}).tolist() == [
        False, True, False]
    assert tsne.unused_keypoints({"bank": bank}) is None
    pts = tsne.unused_points([{"bank": bank, "pixels": [0, 1, 1]}, {"bank": np.zeros((2, 3, 4))}])
    assert pts.tolist() == [True, True, False, False, False, False] + [False] * 6
    assert tsne.unused_points([{"bank": bank}]) is None


def test_part_figure_marks_unused_hollow_grey():
    labels = [("coco", "nose"), ("coco", "left_hip"), ("ap10k", "Root of tail"), ("ap10k", "Nose")]
    xy = np.arange(8.0).reshape(4, 2)
    fig = tsne.part_figure(xy, labels, np.array([False, False, False, True]))
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "unused (1)" in legend and {"head", "legs", "tail"} <= set(legend)
    hollow = [c for c in fig.axes[0].collections if len(c.get_offsets()) and
              len(c.get_facecolors()) == 0]
    assert len(hollow) == 1 and hollow[0].get_offsets().tolist() == [[6.0, 7.0]]
    assert tsne.point_parts(labels) == ["head", "legs", "tail", "head"]
