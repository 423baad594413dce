"""AI Challenger: the native release converted like the COCO-style one."""

from __future__ import annotations

from posebh.data.real import convert_aic
from posebh.data.real.miniature import aic_native_raw


def test_aic_native_format_is_converted_like_the_coco_style_release(tmp_path):
    aic_native_raw(tmp_path)
    ann = tmp_path / "aic/annotations/keypoint_validation_annotations_20170911.json"
    out = convert_aic.convert({"annotations": ann, "images": tmp_path / "aic/val"})
    assert [(i["id"], i["file_name"], i["width"], i["height"]) for i in out["images"]] == [
        (1, "054d9ce9201beffc76e5ff2169d2af2f027002ca.jpg", 900, 600),
        (2, "fa436c914fe4a8ec1ec5474af4d3820b84d17561.jpg", 900, 596)]
    a1, a2, a3 = out["annotations"]
    # v: 1 (visible) -> 2, 2 (occluded) -> 1, 3 (unlabelled) -> 0 with zeroed coordinates
    assert a1["keypoints"] == [313, 201, 2] * 7 + [0, 0, 0] * 6 + [395, 74, 1]
    assert a1["num_keypoints"] == 8 and a1["bbox"] == [279, 55, 213, 544] and a1["iscrowd"] == 0
    assert a1["area"] == 213 * 544 and a1["image_id"] == 1 and a1["id"] == 1
    assert a2["keypoints"] == [5, 6, 1] * 14 and a2["bbox"] == [1, 2, 59, 68]
    assert (a3["id"], a3["image_id"], a3["bbox"]) == (3, 2, [50, 60, 200, 340])
    assert out["categories"][0]["keypoints"][0] == "right_shoulder"
    assert len(out["categories"][0]["keypoints"]) == 14
