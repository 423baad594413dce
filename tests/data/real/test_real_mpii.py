"""MPII: the JSON list with the GT .mat (head boxes, 0-based keypoints), train without the .mat,
and the real sample."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from posebh.data.real import convert_mpii
from posebh.data.real.convert import convert_split
from posebh.data.real.miniature import mpii_raw


def test_mpii_json_list_with_gt_mat_gives_head_boxes_and_0_based_keypoints(tmp_path):
    raw = mpii_raw(tmp_path, "val")
    out = convert_split("mpii", {"annotations": "mpii/annotations/mpii_val.json", "images": "mpii/images",
                                 "head_boxes": "mpii/annotations/mpii_gt_val.mat"}, tmp_path)
    assert out["images"] == [{"id": 1, "file_name": "005808361.jpg", "width": 1280, "height": 720},
                             {"id": 2, "file_name": "052475643.jpg", "width": 854, "height": 480}]
    assert [a["image_id"] for a in out["annotations"]] == [1, 1, 2]
    a = out["annotations"][1]
    kps = np.asarray(a["keypoints"]).reshape(16, 3)
    # GT from the .mat (pos_gt_src = joints + 0.5, 1-based) -> 0-based; jnt_missing[3] -> v 0
    np.testing.assert_allclose(kps[:, :2], np.asarray(raw[1]["joints"]) + 0.5 - 1.0)
    assert kps[:, 2].tolist() == [2, 2, 2, 0] + [2] * 12 and a["num_keypoints"] == 15
    assert a["head_bbox"] == [200.0, 20.0, 40.0, 40.0]
    # box: centre (300, 300) -> (299, 300 + 15 * 1.5 - 1), square of side 200 * 1.5
    assert a["bbox"] == pytest.approx([299 - 150, 321.5 - 150, 300, 300])
    assert a["area"] == pytest.approx(300 * 300) and a["iscrowd"] == 0
    assert out["categories"][0]["keypoints"][0] == "right_ankle"


def test_mpii_train_without_mat_uses_the_json_joints(tmp_path):
    raw = mpii_raw(tmp_path, "train")
    out = convert_mpii.convert({"annotations": tmp_path / "mpii/annotations/mpii_train.json",
                                "images": tmp_path / "mpii/images"})
    kps = np.asarray(out["annotations"][0]["keypoints"]).reshape(16, 3)
    np.testing.assert_allclose(kps[:, :2], np.asarray(raw[0]["joints"]) - 1.0)
    assert kps[:, 2].tolist() == [0] + [2] * 15
    assert "head_bbox" not in out["annotations"][0]


def test_real_mpii(real_samples):
    raw = json.loads((real_samples / "mpii/test_mpii.json").read_text())
    out = convert_mpii.convert({"annotations": real_samples / "mpii/test_mpii.json", "images": real_samples / "mpii"})
    assert len(out["annotations"]) == len(raw) == 5
    for got, src in zip(out["annotations"], raw):
        kps = np.asarray(got["keypoints"]).reshape(16, 3)
        np.testing.assert_allclose(kps[:, :2], np.asarray(src["joints"]) - 1.0)
        assert (kps[:, 2] > 0).tolist() == [bool(v) for v in src["joints_vis"]]
        cx, cy = src["center"][0] - 1, src["center"][1] + 15 * src["scale"] - 1
        x, y, w, h = got["bbox"]
        assert (x + w / 2, y + h / 2, w) == pytest.approx((cx, cy, 200 * src["scale"]))
    sizes = {i["file_name"]: (i["width"], i["height"]) for i in out["images"]}
    assert sizes["005808361.jpg"] == Image.open(real_samples / "mpii/005808361.jpg").size
