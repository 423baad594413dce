"""COCO person keypoints: fields kept, detections attached, bad input as one-line errors, and the
real sample."""

from __future__ import annotations

import json

import pytest
from support import one_line

from posebh.data.errors import DataError
from posebh.data.real import convert_coco
from posebh.data.real.convert import convert_split
from posebh.data.real.miniature import coco_raw, write_json


def test_coco_keeps_fields_drops_segmentation_and_attaches_person_detections(tmp_path):
    raw = coco_raw(tmp_path)
    files = {"annotations": "coco/annotations/person_keypoints_val2017.json", "images": "coco/val2017",
             "detections": "coco/person_detection_results/COCO_val2017_detections_AP_H_56_person.json"}
    out = convert_split("coco", files, tmp_path)
    assert out["info"]["dataset"] == "coco"
    assert out["info"]["image_root"] == str(tmp_path / "coco" / "val2017")
    assert out["images"] == [{k: i[k] for k in ("id", "file_name", "width", "height")}
                             for i in raw["images"]]
    for got, src in zip(out["annotations"], raw["annotations"]):
        assert got == {k: src[k] for k in ("id", "image_id", "category_id", "keypoints",
                                           "num_keypoints", "bbox", "area", "iscrowd")}
    assert out["categories"] == raw["categories"]
    assert out["detections"] == [
        {"image_id": 785, "category_id": 1, "bbox": [277.1, 45.7, 225.1, 333.6], "score": 0.99},
        {"image_id": 40083, "category_id": 1, "bbox": [1.0, 2.0, 3.0, 4.0], "score": 0.2}]


def test_corrupt_and_truncated_json_name_the_file(tmp_path):
    coco_raw(tmp_path)
    path = tmp_path / "coco/annotations/person_keypoints_val2017.json"
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    files = {"annotations": path, "images": tmp_path / "coco/val2017"}
    with pytest.raises(DataError) as err:
        convert_coco.convert(files)
    one_line(err, path, "malformed JSON", "truncated or corrupt")
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(DataError) as err:
        convert_coco.convert(files)
    one_line(err, path)


@pytest.mark.parametrize("mutate, fragment", [
    (lambda r: r["annotations"][1].update(keypoints=[1, 2, 2] * 16),
     "annotations[1] (id 7): keypoints has 48 values, expected 51"),
    (lambda r: r["annotations"][0]["keypoints"].__setitem__(3, "x"),
     "keypoints value 'x' is not a finite number"),
    (lambda r: r["annotations"][0].update(bbox=[700, 10, 20, 20]), "lies outside the 640x425 image"),
    (lambda r: r["annotations"][0].update(bbox=[10, 10, -5, 20]), "negative size"),
    (lambda r: r["annotations"][0].update(bbox=[10, 10, 20]), "is not [x, y, w, h]"),
    (lambda r: r["annotations"][0].update(image_id=1), "image_id 1 is not in images"),
    (lambda r: r["images"][0].pop("width"), "images[0]: missing key 'width'"),
    (lambda r: r.update(annotations=[]), "empty split: 2 images, 0 annotations"),
    (lambda r: r.pop("images"), "missing list 'images'"),
])
def test_bad_coco_content_is_a_one_line_error(tmp_path, mutate, fragment):
    raw = coco_raw(tmp_path)
    mutate(raw)
    path = write_json(tmp_path / "coco/annotations/person_keypoints_val2017.json", raw)
    with pytest.raises(DataError) as err:
        convert_coco.convert({"annotations": path, "images": tmp_path / "coco/val2017"})
    one_line(err, path, fragment)


def test_missing_image_and_bad_detections_name_the_file(tmp_path):
    coco_raw(tmp_path)
    (tmp_path / "coco/val2017/000000040083.jpg").unlink()
    files = {"annotations": "coco/annotations/person_keypoints_val2017.json", "images": "coco/val2017"}
    with pytest.raises(DataError) as err:
        convert_split("coco", files, tmp_path)
    one_line(err, tmp_path / "coco/val2017/000000040083.jpg",
              "image file not found (1 of 2 images listed in")
    dets = write_json(tmp_path / "dets.json", [{"bbox": [1, 2, 3, 4], "image_id": 999, "score": 0.5}])
    with pytest.raises(DataError) as err:
        convert_coco.convert({"annotations": tmp_path / files["annotations"],
                              "images": tmp_path / "coco/val2017", "detections": dets})
    one_line(err, dets, "[0]: image_id 999 is not in the GT images")
    with pytest.raises(DataError, match="unknown file role"):
        convert_split("coco", {**files, "camera": "x"}, tmp_path)
    with pytest.raises(DataError, match=r"no path given for role\(s\) \['images'\]"):
        convert_split("coco", {"annotations": files["annotations"]}, tmp_path)


def test_real_coco_and_detections(real_samples):
    raw = json.loads((real_samples / "coco/test_coco.json").read_text())
    out = convert_coco.convert({"annotations": real_samples / "coco/test_coco.json", "images": real_samples / "coco",
                                "detections": real_samples / "coco/test_coco_det_AP_H_56.json"})
    from posebh.data.real.files import check_images

    check_images(out, real_samples / "coco", "test_coco.json")
    assert len(out["images"]) == 4 and len(out["annotations"]) == 14
    for got, src in zip(out["annotations"], raw["annotations"]):
        assert (got["keypoints"], got["bbox"], got["area"], got["num_keypoints"]) == (
            src["keypoints"], src["bbox"], src["area"], src["num_keypoints"])
    dets = json.loads((real_samples / "coco/test_coco_det_AP_H_56.json").read_text())
    assert len(out["detections"]) == sum(d["category_id"] == 1 for d in dets)
