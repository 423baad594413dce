"""One validator for COCO-style keypoint files: the converters' outputs and ``posebh evaluate``'s GT.

``validate_coco`` checks a whole file: image ids and annotation ids unique, every ``image_id`` and
``category_id`` known, each keypoint field ``3*K`` finite numbers with visibility in {0, 1, 2},
labelled keypoints near their box (inside the box scaled by ``keypoint_box_factor``) and near the
image, ``bbox`` four numbers with ``w, h >= 0`` inside the image within a tolerance, ``area`` a
number >= 0, ``iscrowd`` 0 or 1, ``num_keypoints`` a count, ``file_name`` a relative path that
stays inside the image root. ``check_image_files`` then checks that each listed image exists,
decodes and has the declared size. Tolerances are per dataset, in ``coco_limits.json``.

Every failure is a one-line ``DataError`` ``<file>: <where>: <field> <value> <problem>``, where
``<where>`` names the record (``annotations[3] (id 17)``). Type errors in the input (a string
box, a list id, ``iscrowd: "yes"``) are such errors too, never tracebacks. Formats whose raw
visibility flags differ (AI Challenger: 1 visible, 2 occluded, 3 unlabelled) are validated after
their conversion. Library code: no Kedro, no converter imports (``posebh.evaluation`` uses it).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image

from posebh import skeletons
from posebh.data.errors import DataError

_TABLE = Path(__file__).with_name("coco_limits.json")
TOP_KEYS: tuple[str, ...] = ("images", "annotations", "categories")
IMAGE_KEYS: tuple[str, ...] = ("id", "width", "height")
ANN_KEYS: tuple[str, ...] = ("id", "image_id", "category_id", "bbox")
# Optional extra boxes some formats carry ([x, y, w, h]; PCKh head box, COCO-WholeBody part boxes).
EXTRA_BOXES: tuple[str, ...] = ("head_bbox", "face_box", "lefthand_box", "righthand_box")
# Optional per-part flags (COCO-WholeBody): true/false (or 0/1).
EXTRA_FLAGS: tuple[str, ...] = ("foot_valid", "face_valid", "lefthand_valid", "righthand_valid")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Limits:
    """Tolerances of one dataset (see ``coco_limits.json``)."""

    visibility: frozenset[int]
    box_outside: float
    keypoint_box_factor: float
    keypoint_outside: float
    slack_px: float
    graded_fields: frozenset[str]  # third value a confidence in [0, max(visibility)], not a flag


@cache
def limits(dataset: str | None = None) -> Limits:
    """The tolerances of ``dataset`` (the table's defaults for unknown or ``None``)."""
    table = json.loads(_TABLE.read_text())
    row = {**table["default"], **table["datasets"].get(dataset or "", {})}
    return Limits(visibility=frozenset(int(v) for v in row["visibility"]),
                  box_outside=float(row["box_outside"]),
                  keypoint_box_factor=float(row["keypoint_box_factor"]),
                  keypoint_outside=float(row["keypoint_outside"]), slack_px=float(row["slack_px"]),
                  graded_fields=frozenset(row["graded_fields"]))


def parts_of(dataset: str | None) -> tuple[tuple[str, int | None], ...]:
    """Keypoint fields of ``dataset``'s layout; ``None`` (any multiple of 3) without a dataset."""
    return skeletons.get(dataset).parts if dataset is not None else (("keypoints", None),)


def is_number(v: Any) -> bool:
    """A finite int or float (``bool`` is not a number here)."""
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)


def check_id(value: Any, field: str, where: str, path: str | Path) -> int | str:
    """An id: an integer or a non-empty string (never a list, float, bool or null)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise DataError(path, f"{where}: {field} {value!r} is not an integer or string id")
    return value


def check_number(value: Any, field: str, where: str, path: str | Path,
                 minimum: float | None = None) -> float:
    """A finite number, ``>= minimum`` when given."""
    if not is_number(value):
        raise DataError(path, f"{where}: {field} {value!r} is not a finite number")
    if minimum is not None and value < minimum:
        raise DataError(path, f"{where}: {field} {value!r} is negative" if minimum == 0 else
                        f"{where}: {field} {value!r} is below {minimum}")
    return value


def check_keypoints(values: Any, k: int | None, where: str, path: str | Path,
                    field: str = "keypoints", visibility: frozenset[int] | None = None,
                    graded: bool = False) -> list:
    """A flat list of ``3*k`` finite numbers (any multiple of 3 for ``k=None``).

    With ``visibility`` every third value must be one of those flags (GT), or with ``graded``
    any number between 0 and the largest flag; without it the third value is a free score
    (predictions).
    """
    if not isinstance(values, list):
        raise DataError(path, f"{where}: {field} is {type(values).__name__}, expected a list")
    if (k is not None and len(values) != 3 * k) or len(values) % 3:
        want = f"{3 * k} ({k} keypoints x 3)" if k is not None else "a multiple of 3"
        raise DataError(path, f"{where}: {field} has {len(values)} values, expected {want}")
    for v in values:
        if not is_number(v):
            raise DataError(path, f"{where}: {field} value {v!r} is not a finite number")
    if visibility is not None:
        top = max(visibility)
        for j, v in enumerate(values[2::3]):
            if graded and 0 <= v <= top:
                continue
            if v not in visibility:
                raise DataError(path, f"{where}: {field}[{j}] visibility {v!r} is not "
                                      f"one of {sorted(visibility)}")
    return values


def check_bbox(bbox: Any, where: str, path: str | Path, field: str = "bbox") -> list:
    """``[x, y, w, h]``: four finite numbers with ``w, h >= 0``."""
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(is_number(v) for v in bbox):
        raise DataError(path, f"{where}: {field} {bbox!r} is not [x, y, w, h] of 4 finite numbers")
    if bbox[2] < 0 or bbox[3] < 0:
        raise DataError(path, f"{where}: {field} {bbox!r} has a negative size")
    return bbox


def check_box_in_image(bbox: Sequence[float], width: float, height: float, where: str,
                       path: str | Path, lim: Limits, field: str = "bbox") -> None:
    """The box lies in the image, up to ``box_outside`` of its own size (+ ``slack_px``)."""
    x, y, w, h = bbox
    tx, ty = lim.box_outside * w + lim.slack_px, lim.box_outside * h + lim.slack_px
    if x < -tx or y < -ty or x + w > width + tx or y + h > height + ty:
        raise DataError(path, f"{where}: {field} {list(bbox)!r} lies outside the {width}x{height} "
                              f"image (tolerance {lim.box_outside:g} of the box size)")


def check_keypoint_positions(values: Sequence[float], bbox: Sequence[float], width: float,
                             height: float, where: str, path: str | Path, lim: Limits,
                             field: str = "keypoints") -> None:
    """Labelled keypoints (v > 0) lie near their box and near the image."""
    x, y, w, h = bbox
    cx, cy = x + w / 2, y + h / 2
    rx = lim.keypoint_box_factor * w / 2 + lim.slack_px
    ry = lim.keypoint_box_factor * h / 2 + lim.slack_px
    ix, iy = lim.keypoint_outside * width + lim.slack_px, lim.keypoint_outside * height + lim.slack_px
    for j in range(len(values) // 3):
        px, py, v = values[3 * j: 3 * j + 3]
        if v <= 0:
            continue
        if not (-ix <= px <= width + ix and -iy <= py <= height + iy):
            raise DataError(path, f"{where}: {field}[{j}] at ({px:g}, {py:g}) lies outside "
                                  f"the {width}x{height} image")
        if abs(px - cx) > rx or abs(py - cy) > ry:
            raise DataError(path, f"{where}: {field}[{j}] at ({px:g}, {py:g}) is far outside "
                                  f"its bbox {list(bbox)!r} (allowed: the box scaled by "
                                  f"{lim.keypoint_box_factor:g})")


def check_file_name(name: Any, where: str, path: str | Path) -> str:
    """A relative ``/``-separated path that stays inside the image root."""
    if not isinstance(name, str) or not name.strip():
        raise DataError(path, f"{where}: file_name {name!r} is not a non-empty string")
    if "\\" in name or "\x00" in name:
        raise DataError(path, f"{where}: file_name {name!r} contains a backslash or NUL "
                              "(relative paths use '/')")
    if name.startswith("/") or _DRIVE.match(name):
        raise DataError(path, f"{where}: file_name {name!r} is an absolute path; expected a path "
                              "relative to the image folder")
    if ".." in name.split("/"):
        raise DataError(path, f"{where}: file_name {name!r} leaves the image folder ('..')")
    return name


def _require(record: Mapping, keys: Iterable[str], where: str, path: str | Path) -> None:
    for key in keys:
        if key not in record:
            raise DataError(path, f"{where}: missing key {key!r}")


def check_image(img: Any, i: int, path: str | Path) -> dict:
    """One ``images`` entry: id, positive width/height, a safe ``file_name`` when present."""
    if not isinstance(img, dict):
        raise DataError(path, f"images[{i}] is not an object")
    _require(img, IMAGE_KEYS, f"images[{i}]", path)
    check_id(img["id"], "id", f"images[{i}]", path)
    where = f"images[{i}] (id {img['id']!r})"
    for key in ("width", "height"):
        if not is_number(img[key]) or img[key] <= 0:
            raise DataError(path, f"{where}: {key} {img[key]!r} is not a positive number")
    if "file_name" in img:
        check_file_name(img["file_name"], where, path)
    return img


def check_annotation(ann: Any, i: int, image: Mapping, path: str | Path,
                     parts: Sequence[tuple[str, int | None]], lim: Limits,
                     require: Iterable[str] = ()) -> dict:
    """One annotation against its image: every field's type, range and position."""
    where = f"annotations[{i}] (id {ann['id']!r})"
    _require(ann, tuple(f for f, _ in parts) + tuple(require), where, path)
    bbox = check_bbox(ann["bbox"], where, path)
    width, height = image["width"], image["height"]
    check_box_in_image(bbox, width, height, where, path, lim)
    for field, k in parts:
        kps = check_keypoints(ann[field], k, where, path, field, lim.visibility,
                              graded=field in lim.graded_fields)
        check_keypoint_positions(kps, bbox, width, height, where, path, lim, field)
    if "area" in ann:
        check_number(ann["area"], "area", where, path, minimum=0)
    if "iscrowd" in ann and (type(ann["iscrowd"]) is not int or ann["iscrowd"] not in (0, 1)):
        raise DataError(path, f"{where}: iscrowd {ann['iscrowd']!r} is not 0 or 1")
    if "num_keypoints" in ann and (type(ann["num_keypoints"]) is not int
                                   or ann["num_keypoints"] < 0):
        raise DataError(path, f"{where}: num_keypoints {ann['num_keypoints']!r} is not a count")
    for field in EXTRA_BOXES:
        if field in ann:
            check_bbox(ann[field], where, path, field)
    for field in EXTRA_FLAGS:
        if field in ann and ann[field] not in (True, False):  # 0 == False, 1 == True
            raise DataError(path, f"{where}: {field} {ann[field]!r} is not true/false")
    return ann


def _unique_ids(records: list[dict], kind: str, path: str | Path) -> dict:
    """id -> record; a repeated id is a ``DataError`` naming both positions."""
    seen: dict = {}
    singular = {"categories": "category", "images": "image", "annotations": "annotation"}[kind]
    for i, rec in enumerate(records):
        if rec["id"] in seen:
            raise DataError(path, f"{kind}[{i}]: {singular} id {rec['id']!r} appears twice "
                                  f"(also {kind}[{seen[rec['id']][0]}])")
        seen[rec["id"]] = (i, rec)
    return {k: rec for k, (_, rec) in seen.items()}


def validate_coco(data: Any, path: str | Path, dataset: str | None = None, *,
                  require: Iterable[str] = (), limits_of: str | None = None) -> dict:
    """Check a whole COCO-style keypoint dict; return it unchanged or raise ``DataError``.

    ``dataset`` gives the keypoint fields and counts (its skeleton's layout; ``None``: any
    multiple of 3 in ``keypoints``) and the tolerances (``limits_of`` overrides the latter, e.g.
    OCHuman checked against the COCO skeleton). ``require`` lists further annotation keys that
    must be present (``area`` for OKS with ``use_area``, ``head_bbox`` for PCKh).
    """
    if not isinstance(data, dict):
        raise DataError(path, f"expected a COCO-style JSON object with {'/'.join(TOP_KEYS)}, got "
                              f"{type(data).__name__}")
    for key in TOP_KEYS:
        if key not in data:
            raise DataError(path, f"missing key {key!r}")
        if not isinstance(data[key], list):
            raise DataError(path, f"{key!r} is not a list")
    for i, cat in enumerate(data["categories"]):
        if not isinstance(cat, dict) or "id" not in cat:
            raise DataError(path, f"categories[{i}]: missing key 'id'")
        check_id(cat["id"], "id", f"categories[{i}]", path)
    categories = _unique_ids(data["categories"], "categories", path)
    images = _unique_ids([check_image(img, i, path) for i, img in enumerate(data["images"])],
                         "images", path)
    parts = parts_of(dataset)
    lim = limits(limits_of or dataset)
    require = tuple(require)
    for i, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict):
            raise DataError(path, f"annotations[{i}] is not an object")
        _require(ann, ("id",), f"annotations[{i}]", path)
        check_id(ann["id"], "id", f"annotations[{i}]", path)
        where = f"annotations[{i}] (id {ann['id']!r})"
        _require(ann, ANN_KEYS, where, path)
        check_id(ann["image_id"], "image_id", where, path)
        check_id(ann["category_id"], "category_id", where, path)
        if ann["image_id"] not in images:
            raise DataError(path, f"{where}: image_id {ann['image_id']!r} is not in images")
        if ann["category_id"] not in categories:
            raise DataError(path, f"{where}: category_id {ann['category_id']!r} is not in "
                                  f"categories {sorted(categories, key=str)[:10]}")
        check_annotation(ann, i, images[ann["image_id"]], path, parts, lim, require)
    _unique_ids(data["annotations"], "annotations", path)
    return data


def _decode(path: Path) -> tuple[int, int]:
    """(width, height) of an image file, after decoding it (JPEG at 1/8 scale: fast, complete)."""
    with Image.open(path) as im:
        size = (int(im.width), int(im.height))
        if im.format == "PNG":
            im.verify()  # every chunk's CRC
        else:
            im.draft(im.mode, (max(1, size[0] // 8), max(1, size[1] // 8)))
            im.load()
    return size


def check_image_files(coco: Mapping, image_root: str | Path, source: str | Path) -> None:
    """Each listed image exists under ``image_root``, decodes, and has the declared size."""
    root = Path(image_root)
    images = coco["images"]
    for i, img in enumerate(images):
        check_file_name(img.get("file_name"), f"images[{i}] (id {img.get('id')!r})", source)
    missing = [img["file_name"] for img in images if not (root / img["file_name"]).is_file()]
    if missing:
        raise DataError(root / missing[0], f"image file not found ({len(missing)} of "
                                           f"{len(images)} images listed in {source} are missing)")
    for img in images:
        p = root / img["file_name"]
        try:
            size = _decode(p)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
            msg = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise DataError(p, f"not a decodable image ({msg}); listed in {source} as image id "
                               f"{img['id']!r}") from None
        if size != (img["width"], img["height"]):
            raise DataError(p, f"image is {size[0]}x{size[1]} but {source} declares "
                               f"{img['width']}x{img['height']} (image id {img['id']!r})")
