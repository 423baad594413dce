"""COCO-WholeBody: all five keypoint fields kept."""

from __future__ import annotations

from posebh.data.real import convert_wholebody
from posebh.data.real.miniature import wholebody_raw


def test_wholebody_keeps_all_five_keypoint_fields(tmp_path):
    raw = wholebody_raw(tmp_path)["annotations"][0]
    ann_file = tmp_path / "coco_wholebody/annotations/coco_wholebody_val_v1.0.json"
    out = convert_wholebody.convert({"annotations": ann_file, "images": tmp_path / "coco/val2017"})
    ann = out["annotations"][0]
    for field in ("keypoints", "foot_kpts", "face_kpts", "lefthand_kpts", "righthand_kpts",
                  "face_valid", "lefthand_valid", "righthand_valid", "foot_valid", "face_box",
                  "lefthand_box", "righthand_box", "num_keypoints", "area", "bbox"):
        assert ann[field] == raw[field], field
    assert "segmentation" not in ann
