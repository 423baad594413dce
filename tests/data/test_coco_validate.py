"""Issue #13 A: the one COCO keypoint validator (``posebh.data.coco_validate``), its tolerance
table, and that converters and ``posebh evaluate`` share it."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from support import REAL_SAMPLES, ROOT, real_sample

from posebh.data import coco_validate as cv
from posebh.data.errors import DataError


def _kps(k: int, x0: float = 12.0, y0: float = 10.0, v: int = 2) -> list:
    return [c for j in range(k) for c in (x0 + j % 6 * 6, y0 + j // 6 % 4 * 6, v)]


def _good() -> dict:
    return {
        "images": [{"id": 1, "file_name": "a/1.jpg", "width": 64, "height": 48},
                   {"id": "two", "file_name": "2.jpg", "width": 64, "height": 48}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "keypoints": _kps(17), "bbox": [8, 6, 40, 30],
             "area": 1200, "iscrowd": 0, "num_keypoints": 17},
            {"id": 2, "image_id": "two", "category_id": 1, "keypoints": [0] * 51,
             "bbox": [0, 0, 64, 48], "iscrowd": 1},
        ],
        "categories": [{"id": 1, "name": "person"}],
    }


def _set(*keys: Any, value: Any) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value
    return change


def test_valid_file_passes_unchanged() -> None:
    data = _good()
    assert cv.validate_coco(data, "f.json", "coco") is data
    assert data == _good()


@pytest.mark.parametrize("change, fragment", [
    (lambda d: d.pop("categories"), "f.json: missing key 'categories'"),
    (_set("images", value={}), "'images' is not a list"),
    (_set("images", 1, "id", value=1), "images[1]: image id 1 appears twice (also images[0])"),
    (_set("annotations", 1, "id", value=1), "annotations[1]: annotation id 1 appears twice"),
    (_set("categories", 0, "id", value=[1]), "categories[0]: id [1] is not an integer or string id"),
    (_set("annotations", 0, "category_id", value=2), "(id 1): category_id 2 is not in categories [1]"),
    (_set("annotations", 0, "image_id", value=3), "(id 1): image_id 3 is not in images"),
    (_set("annotations", 0, "id", value=True), "annotations[0]: id True is not an integer"),
    (_set("annotations", 0, "keypoints", 2, value=3), "keypoints[0] visibility 3 is not one of [0, 1, 2]"),
    (_set("annotations", 0, "keypoints", 5, value=0.5), "keypoints[1] visibility 0.5 is not one of"),
    (_set("annotations", 0, "keypoints", 0, value=float("nan")), "value nan is not a finite number"),
    (_set("annotations", 0, "keypoints", value=[0] * 50), "keypoints has 50 values, expected 51"),
    (_set("annotations", 0, "keypoints", 0, value=1e5), "keypoints[0] at (100000, 10) lies outside"),
    (_set("annotations", 0, "bbox", value=[8, 6, 8, 8]), "keypoints[3] at (30, 10) is far outside its bbox [8, 6, 8, 8]"),
    (_set("annotations", 0, "bbox", value=[8, 6, 40]), "bbox [8, 6, 40] is not [x, y, w, h]"),
    (_set("annotations", 0, "bbox", value=[8, 6, -1, 30]), "has a negative size"),
    (_set("annotations", 0, "bbox", value=[-30, 6, 40, 30]), "lies outside the 64x48 image"),
    (_set("annotations", 0, "area", value=-0.5), "area -0.5 is negative"),
    (_set("annotations", 0, "area", value=None), "area None is not a finite number"),
    (_set("annotations", 0, "iscrowd", value=2), "iscrowd 2 is not 0 or 1"),
    (_set("annotations", 0, "iscrowd", value=True), "iscrowd True is not 0 or 1"),
    (_set("annotations", 0, "num_keypoints", value=-1), "num_keypoints -1 is not a count"),
    (_set("annotations", 0, "head_bbox", value="x"), "head_bbox 'x' is not [x, y, w, h]"),
    (lambda d: d["annotations"][0].pop("bbox"), "annotations[0] (id 1): missing key 'bbox'"),
    (_set("images", 0, "width", value="64"), "images[0] (id 1): width '64' is not a positive number"),
    (_set("images", 0, "height", value=0), "height 0 is not a positive number"),
    (_set("images", 0, "file_name", value="/abs/1.jpg"), "is an absolute path"),
    (_set("images", 0, "file_name", value="C:/data/1.jpg"), "is an absolute path"),
    (_set("images", 0, "file_name", value="a/../../1.jpg"), "leaves the image folder"),
    (_set("images", 0, "file_name", value="..\\..\\1.jpg"), "contains a backslash"),
    (_set("images", 0, "file_name", value="a\x00.jpg"), "contains a backslash or NUL"),
    (_set("images", 0, "file_name", value=""), "is not a non-empty string"),
    (_set("images", 0, "file_name", value=["1.jpg"]), "is not a non-empty string"),
])
def test_each_check_is_a_one_line_error(change: Callable, fragment: str) -> None:
    data = _good()
    change(data)
    with pytest.raises(DataError) as err:
        cv.validate_coco(data, "f.json", "coco")
    msg = str(err.value)
    assert msg.startswith("f.json: ") and "\n" not in msg and fragment in msg, msg


def test_required_keys_and_layout_come_from_the_dataset() -> None:
    data = _good()
    with pytest.raises(DataError, match="keypoints has 51 values, expected 42"):
        cv.validate_coco(data, "f.json", "aic")
    with pytest.raises(DataError, match=r"annotations\[1\] \(id 2\): missing key 'area'"):
        cv.validate_coco(data, "f.json", "coco", require=("area",))
    cv.validate_coco(data, "f.json")  # no dataset: any multiple of 3


def test_wholebody_parts_and_graded_confidences() -> None:
    data = _good()
    for a in data["annotations"]:
        a.update(foot_kpts=_kps(6), face_kpts=_kps(68, v=1), lefthand_kpts=[0] * 63,
                 righthand_kpts=_kps(21))
    data["annotations"][0]["righthand_kpts"][2] = 0.0877  # as in the v1.0 release
    cv.validate_coco(data, "wb.json", "coco_wholebody")
    bad = copy.deepcopy(data)
    bad["annotations"][0]["keypoints"][2] = 0.5  # the body field keeps 0/1/2 flags
    with pytest.raises(DataError, match=r"keypoints\[0\] visibility 0.5"):
        cv.validate_coco(bad, "wb.json", "coco_wholebody")
    bad = copy.deepcopy(data)
    bad["annotations"][0]["face_kpts"][2] = 2.5
    with pytest.raises(DataError, match=r"face_kpts\[0\] visibility 2.5"):
        cv.validate_coco(bad, "wb.json", "coco_wholebody")
    bad = copy.deepcopy(data)
    del bad["annotations"][1]["face_kpts"]
    with pytest.raises(DataError, match="missing key 'face_kpts'"):
        cv.validate_coco(bad, "wb.json", "coco_wholebody")


def test_tolerances_are_a_per_dataset_table() -> None:
    default, mpii = cv.limits("coco"), cv.limits("mpii")
    assert cv.limits(None) == default and mpii.box_outside > default.box_outside
    assert default.visibility == frozenset({0, 1, 2})
    data = _good()
    data["images"][0].update(width=200, height=200)
    # an mmpose MPII crop square (side 200*scale) sticking 30 % out of the image
    data["annotations"][0].update(bbox=[-30, 40, 100, 100])
    cv.validate_coco(data, "mpii.json", "coco", limits_of="mpii")
    with pytest.raises(DataError, match="lies outside the 200x200 image"):
        cv.validate_coco(data, "coco.json", "coco")


def test_image_files_exist_decode_and_have_the_declared_size(tmp_path: Path) -> None:
    data = _good()
    Image.new("RGB", (64, 48)).save(tmp_path / "2.jpg")
    with pytest.raises(DataError, match=r"image file not found \(1 of 2 images listed in f.json"):
        cv.check_image_files(data, tmp_path, "f.json")
    (tmp_path / "a").mkdir()
    Image.new("RGB", (64, 48)).save(tmp_path / "a" / "1.jpg")
    cv.check_image_files(data, tmp_path, "f.json")
    Image.new("RGB", (48, 64)).save(tmp_path / "a" / "1.jpg")
    with pytest.raises(DataError, match="image is 48x64 but f.json declares 64x48"):
        cv.check_image_files(data, tmp_path, "f.json")
    (tmp_path / "a" / "1.jpg").write_text("hello")
    with pytest.raises(DataError, match="not a decodable image"):
        cv.check_image_files(data, tmp_path, "f.json")
    data["images"][0]["file_name"] = "/etc/hostname"
    with pytest.raises(DataError, match="is an absolute path"):
        cv.check_image_files(data, tmp_path, "f.json")


def test_converters_and_evaluate_share_the_validator() -> None:
    from posebh.data.real import coco_format
    from posebh.evaluation import validate

    assert coco_format.validate_coco is cv.validate_coco is validate.validate_coco


def test_evaluation_does_not_import_converter_code() -> None:
    code = ("import sys, posebh.evaluation.validate, posebh.commands; "
            "bad = [m for m in sys.modules if m.startswith(('posebh.data.real', 'kedro'))]; "
            "assert not bad, bad")
    env_path = str(ROOT / "src")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": env_path, "PATH": ""}, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("rel, dataset, folder", [
    ("coco/test_coco.json", "coco", "coco"),
    ("coco/test_coco_wholebody.json", "coco_wholebody", "coco"),
    ("aic/test_aic.json", "aic", "aic"),
    ("ap10k/test_ap10k.json", "ap10k", "ap10k"),
    ("ochuman/test_ochuman.json", "coco", "ochuman"),
])
def test_real_samples_pass(rel: str, dataset: str, folder: str) -> None:
    from posebh.data.jsonfile import read_json

    path = real_sample(rel)
    data = read_json(path)
    cv.validate_coco(data, path, dataset)
    cv.check_image_files(data, REAL_SAMPLES / folder, path)


def test_read_json_failures_are_one_line(tmp_path: Path) -> None:
    from posebh.data.jsonfile import read_json

    cases = {"missing.json": None, "deep.json": "[" * 100000, "bin.json": b"\xff\xfe\x00{",
             "cut.json": '{"images": [', "dir.json": "DIR"}
    for name, content in cases.items():
        p = tmp_path / name
        if content == "DIR":
            p.mkdir()
        elif isinstance(content, bytes):
            p.write_bytes(content)
        elif content is not None:
            p.write_text(content)
        with pytest.raises(DataError) as err:
            read_json(p)
        assert str(err.value).startswith(str(p)) and "\n" not in str(err.value)
