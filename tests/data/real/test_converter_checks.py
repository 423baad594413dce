"""Issue #13 C: every converter refuses invalid data with a one-line ``DataError`` naming the file.

Each row writes a small valid raw dataset (``rawfixtures``), breaks one field, converts, and
expects ``DataError`` whose message starts with the offending file and contains the fragment.
Before the shared validator these were accepted (visibility 7, negative/string areas, duplicate
ids, unknown categories, absolute file names, wrong image sizes, non-images, negative detection
boxes, keypoints far outside the image) or crashed with TypeError/ValueError tracebacks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rawfixtures as rf
from support import one_line

from posebh.data.errors import DataError
from posebh.data.real import convert_apt36k
from posebh.data.real.convert import convert_split


def _set(*keys: Any, value: Any) -> Callable[[Any], None]:
    """A change that sets ``data[k0][k1]...`` to ``value``."""
    def change(data: Any) -> None:
        for k in keys[:-1]:
            data = data[k]
        data[keys[-1]] = value
    return change


def _kp(ann: int, index: int, value: Any) -> Callable[[Any], None]:
    return lambda raw: raw["annotations"][ann]["keypoints"].__setitem__(index, value)


def _text_as_image(root: Path) -> None:
    (root / "coco/images/im2.jpg").write_text("not an image\n")


def _resize_image(root: Path) -> None:
    rf.image(root / "coco/images/im1.jpg", 65, 48)


def _truncate_image(root: Path) -> None:
    p = root / "coco/images/im1.jpg"
    p.write_bytes(p.read_bytes()[:300])


# (id, dataset, role whose file is changed, change of the parsed JSON or of the tree, fragment)
ROWS: list[tuple[str, str, str, Callable, str]] = [
    ("coco-visibility-7", "coco", "annotations", _kp(0, 2, 7), "visibility 7 is not one of [0, 1, 2]"),
    ("coco-visibility-neg", "coco", "annotations", _kp(1, 5, -1), "visibility -1 is not one of"),
    ("coco-area-negative", "coco", "annotations", _set("annotations", 0, "area", value=-5.0),
     "annotations[0] (id 10): area -5.0 is negative"),
    ("coco-area-string", "coco", "annotations", _set("annotations", 1, "area", value="12"),
     "annotations[1] (id 11): area '12' is not a finite number"),
    ("coco-dup-ann-id", "coco", "annotations", _set("annotations", 1, "id", value=10),
     "annotation id 10 appears twice"),
    ("coco-unknown-category", "coco", "annotations", _set("annotations", 0, "category_id", value=3),
     "category_id 3 is not in categories"),
    ("coco-absolute-file", "coco", "annotations", _set("images", 0, "file_name", value="/etc/hostname"),
     "file_name '/etc/hostname' is an absolute path"),
    ("coco-dotdot-file", "coco", "annotations", _set("images", 0, "file_name", value="../x/im1.jpg"),
     "leaves the image folder"),
    ("coco-backslash-file", "coco", "annotations",
     _set("images", 0, "file_name", value="..\\..\\im1.jpg"), "contains a backslash"),
    ("coco-keypoint-far-away", "coco", "annotations", _kp(0, 0, 100000.0),
     "lies outside the 64x48 image"),
    ("coco-keypoint-off-box", "coco", "annotations",
     _set("annotations", 0, "bbox", value=[50.0, 30.0, 4.0, 4.0]), "is far outside its bbox"),
    ("coco-box-outside-image", "coco", "annotations",
     _set("annotations", 0, "bbox", value=[8.0, 6.0, 400.0, 30.0]), "lies outside the 64x48 image"),
    ("coco-iscrowd-yes", "coco", "annotations", _set("annotations", 0, "iscrowd", value="yes"),
     "iscrowd 'yes' is not 0 or 1"),
    ("coco-list-image-id", "coco", "annotations", _set("annotations", 0, "image_id", value=[1]),
     "image_id [1] is not an integer or string id"),
    ("coco-list-ann-id", "coco", "annotations", _set("annotations", 0, "id", value=[10]),
     "id [10] is not an integer or string id"),
    ("coco-string-bbox", "coco", "annotations", _set("annotations", 0, "bbox", value="8,6,40,30"),
     "bbox '8,6,40,30' is not [x, y, w, h]"),
    ("coco-num-keypoints-string", "coco", "annotations",
     _set("annotations", 0, "num_keypoints", value="17"), "num_keypoints '17' is not a count"),
    ("coco-declared-size", "coco", "tree", _resize_image, "image is 65x48 but"),
    ("coco-not-an-image", "coco", "tree", _text_as_image, "not a decodable image"),
    ("coco-truncated-image", "coco", "tree", _truncate_image, "not a decodable image"),
    ("det-negative-size", "coco", "detections", _set(0, "bbox", value=[8.0, 6.0, -40.0, 30.0]),
     "[0]: bbox [8.0, 6.0, -40.0, 30.0] has a negative size"),
    ("det-list-image-id", "coco", "detections", _set(0, "image_id", value=[1]),
     "[0]: image_id [1] is not an integer or string id"),
    ("det-string-score", "coco", "detections", _set(0, "score", value="high"),
     "score 'high' is not a finite number"),
    ("wb-hand-visibility-3", "coco_wholebody", "annotations",
     lambda raw: raw["annotations"][0]["righthand_kpts"].__setitem__(2, 3),
     "righthand_kpts[0] visibility 3 is not one of"),
    ("wb-valid-flag-string", "coco_wholebody", "annotations",
     _set("annotations", 0, "face_valid", value="yes"), "face_valid 'yes' is not true/false"),
    ("wb-part-box-string", "coco_wholebody", "annotations",
     _set("annotations", 0, "face_box", value="box"), "face_box 'box' is not [x, y, w, h]"),
    ("aic-box-strings", "aic", "annotations",
     _set(0, "human_annotations", "human1", value=["8", "6", "48", "36"]),
     "human_annotations box ['8', '6', '48', '36'] is not [x1, y1, x2, y2]"),
    ("aic-box-inverted", "aic", "annotations",
     _set(0, "human_annotations", "human1", value=[48, 36, 8, 6]), "has a negative size"),
    ("aic-keypoints-not-object", "aic", "annotations", _set(0, "keypoint_annotations", value=[1]),
     "keypoint_annotations is list, expected an object"),
    ("aic-image-id-list", "aic", "annotations", _set(0, "image_id", value=["a"]),
     "image_id ['a'] is not an image name"),
    ("mpii-joints-vis-strings", "mpii", "annotations", _set(0, "joints_vis", value=["1"] * 16),
     "joints_vis value '1' is not 0 or 1"),
    ("mpii-center-string", "mpii", "annotations", _set(0, "center", value="12"),
     "center '12' / scale 0.5 missing or malformed"),
    ("mpii-image-dotdot", "mpii", "annotations", _set(0, "image", value="../m1.jpg"),
     "leaves the image folder"),
    ("ap10k-unknown-species", "ap10k", "annotations", _set("annotations", 1, "category_id", value=99),
     "category_id 99 is not in categories"),
    ("ap10k-dup-image-id", "ap10k", "annotations", _set("images", 1, "id", value=1),
     "image id 1 appears twice"),
    ("interhand-joint-valid-strings", "interhand2d", "annotations",
     _set("annotations", 0, "joint_valid", value=[["yes"]] * 42), "joint_valid"),
    ("interhand-camrot-2x2", "interhand2d", "camera",
     _set("1", "camrot", "c1", value=[[1, 0], [0, 1]]), "camrot has shape (2, 2), expected (3, 3)"),
    ("interhand-focal-string", "interhand2d", "camera", _set("1", "focal", "c1", value="f"),
     "focal holds a non-number"),
    ("pw3d-sequence-dotdot", "pw3d", "annotations", _set("images", 0, "sequence", value="../.."),
     "leaves the image folder"),
    ("pw3d-bbox-string", "pw3d", "annotations", _set("annotations", 0, "bbox", value="box"),
     "bbox 'box' is not [x, y, w, h]"),
    ("pw3d-image-id-list", "pw3d", "annotations", _set("annotations", 0, "image_id", value=[1]),
     "image_id [1] is not an integer or string id"),
    ("ochuman-visibility-7", "ochuman", "annotations", _kp(0, 2, 7), "visibility 7 is not one of"),
    ("ochuman-negative-box", "ochuman", "annotations",
     _set("annotations", 0, "bbox", value=[8.0, 6.0, -1.0, 30.0]), "negative size"),
]

APT_ROWS: list[tuple[str, Callable, str]] = [
    ("apt-video-id-null", _set("images", 0, "video_id", value=None),
     "video_id None is not an integer or string id"),
    ("apt-dup-image-id", _set("images", 1, "id", value=1), "image id 1 appears twice"),
    ("apt-backslash-dotdot", _set("images", 0, "file_name", value="..\\..\\..\\img0001.png"),
     "leaves the image folder"),
    ("apt-is-crowd-yes", _set("annotations", 0, "is_crowd", value="yes"),
     "iscrowd 'yes' is not 0 or 1"),
    ("apt-visibility-7", _kp(0, 2, 7), "visibility 7 is not one of"),
    ("apt-category-list", _set("categories", 0, "id", value=[1]), "categories[0]: id"),
]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_converter_refuses(tmp_path: Path, row: tuple) -> None:
    _, dataset, role, change, fragment = row
    files = rf.WRITERS[dataset](tmp_path)
    convert_split(dataset, files, tmp_path)  # the unbroken fixture converts
    if role == "tree":
        change(tmp_path)
    else:
        rf.rewrite(tmp_path / files[role], change)
    with pytest.raises(DataError) as err:
        convert_split(dataset, files, tmp_path)
    # a broken image is named itself; a broken annotation/detection file is named
    one_line(err, tmp_path / "coco/images" if role == "tree" else tmp_path / files[role], fragment)


@pytest.mark.parametrize("row", APT_ROWS, ids=[r[0] for r in APT_ROWS])
def test_apt36k_converter_refuses(tmp_path: Path, row: tuple) -> None:
    _, change, fragment = row
    files = {role: tmp_path / rel for role, rel in rf.apt36k(tmp_path).items()}
    convert_apt36k.convert(files)
    rf.rewrite(files["annotations"], change)
    with pytest.raises(DataError) as err:
        convert_apt36k.convert(files)
    one_line(err, files["annotations"], fragment)


def test_aic_native_visibility_is_validated_after_conversion(tmp_path: Path) -> None:
    """AIC's raw codes 1/2/3 are legal input; the validator sees the converted 2/1/0."""
    files = rf.aic_native(tmp_path)
    out = convert_split("aic", files, tmp_path)
    assert {v for a in out["annotations"] for v in a["keypoints"][2::3]} == {0, 1, 2}
