"""The suite's one COCO-style format: checked builders shared by every converter.

A converted split is ``{"info": {dataset, image_root, source, description}, "images": [{id,
file_name, width, height, ...}], "annotations": [{id, image_id, category_id, keypoints,
num_keypoints, bbox, area, iscrowd, ...}], "categories": [...]}``. Every check raises a one-line
``DataError`` naming the raw file: keypoint arrays of the wrong length or with non-numbers,
boxes that are malformed or lie outside the image, references to unknown images, empty splits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from posebh import skeletons
from posebh.data.errors import DataError

IMAGE_KEYS: tuple[str, ...] = ("id", "file_name", "width", "height")
ANN_KEYS: tuple[str, ...] = ("id", "image_id", "keypoints", "bbox")


def _finite(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)


def check_keypoints(values: Any, k: int, where: str, path: str | Path,
                    field: str = "keypoints") -> list:
    """A flat list of ``3*k`` finite numbers, else ``DataError``."""
    if not isinstance(values, list):
        raise DataError(path, f"{where}: {field} is {type(values).__name__}, expected a list")
    if len(values) != 3 * k:
        raise DataError(path, f"{where}: {field} has {len(values)} values, expected {3 * k} "
                              f"({k} keypoints x 3)")
    for v in values:
        if not _finite(v):
            raise DataError(path, f"{where}: {field} value {v!r} is not a finite number")
    return values


def check_bbox(bbox: Any, width: float, height: float, where: str, path: str | Path) -> list:
    """``[x, y, w, h]``: finite, ``w, h >= 0``, overlapping the ``width x height`` image."""
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(_finite(v) for v in bbox):
        raise DataError(path, f"{where}: bbox {bbox!r} is not [x, y, w, h] of 4 finite numbers")
    x, y, w, h = bbox
    if w < 0 or h < 0:
        raise DataError(path, f"{where}: bbox {bbox!r} has a negative size")
    if x > width or y > height or x + w < 0 or y + h < 0:
        raise DataError(path, f"{where}: bbox {bbox!r} lies outside the {width}x{height} image")
    return bbox


def count_labelled(keypoints: Sequence[float]) -> int:
    """Number of keypoints with visibility > 0."""
    return sum(1 for v in keypoints[2::3] if v > 0)


def skeleton_category(dataset: str, name: str, cat_id: int = 1) -> dict:
    """A COCO category built from the suite's skeleton table (1-based limb indices)."""
    sk = skeletons.get(dataset)
    return {"id": cat_id, "name": name, "supercategory": name, "keypoints": list(sk.keypoints),
            "skeleton": [[a + 1, b + 1] for a, b in sk.edges]}


def image_record(img: Any, i: int, path: str | Path, extra: Iterable[str] = ()) -> dict:
    """Check one raw image entry; keep the suite's fields plus ``extra`` ones when present."""
    if not isinstance(img, dict):
        raise DataError(path, f"images[{i}] is not an object")
    for key in IMAGE_KEYS:
        if key not in img:
            raise DataError(path, f"images[{i}]: missing key {key!r}")
    for key in ("width", "height"):
        if not _finite(img[key]) or img[key] <= 0:
            raise DataError(path, f"images[{i}] (id {img['id']}): {key} {img[key]!r} is not a "
                                  "positive number")
    out = {k: img[k] for k in IMAGE_KEYS}
    out.update({k: img[k] for k in extra if k in img})
    return out


def annotation_record(ann: Any, i: int, image: Mapping, k: int, path: str | Path,
                      extra: Iterable[str] = (), parts: Sequence[tuple[str, int]] = ()) -> dict:
    """Check one raw COCO-style annotation against its image; return it in the suite's form.

    ``parts`` lists further keypoint fields and their sizes (COCO-WholeBody); ``extra`` names
    other raw fields kept as they are. ``num_keypoints``, ``area`` and ``iscrowd`` are kept when
    the raw file has them, else computed (labelled count of ``keypoints``, box area, 0).
    """
    if not isinstance(ann, dict):
        raise DataError(path, f"annotations[{i}] is not an object")
    for key in ANN_KEYS:
        if key not in ann:
            raise DataError(path, f"annotations[{i}] (id {ann.get('id')}): missing key {key!r}")
    where = f"annotations[{i}] (id {ann['id']})"
    kps = check_keypoints(ann["keypoints"], k, where, path)
    bbox = check_bbox(ann["bbox"], image["width"], image["height"], where, path)
    out = {
        "id": ann["id"],
        "image_id": ann["image_id"],
        "category_id": ann.get("category_id", 1),
        "keypoints": kps,
        "num_keypoints": ann.get("num_keypoints", count_labelled(kps)),
        "bbox": bbox,
        "area": ann.get("area", bbox[2] * bbox[3]),
        "iscrowd": int(ann.get("iscrowd", ann.get("is_crowd", 0))),
    }
    for field, n in parts:
        if field not in ann:
            raise DataError(path, f"{where}: missing key {field!r}")
        out[field] = check_keypoints(ann[field], n, where, path, field)
    out.update({key: ann[key] for key in extra if key in ann})
    return out


def convert_coco_style(raw: Any, path: str | Path, dataset: str, *, image_extra: Iterable[str] = (),
                       ann_extra: Iterable[str] = (), parts: Sequence[tuple[str, int]] = (),
                       keypoints: int | None = None) -> tuple[list[dict], list[dict], list[dict]]:
    """Check and normalise a raw COCO-style dict -> (images, annotations, categories).

    ``keypoints`` is the length of the ``keypoints`` field in keypoints (default: the dataset's
    skeleton size; COCO-WholeBody keeps its 17 body points there and the rest in ``parts``).
    """
    if not isinstance(raw, dict):
        raise DataError(path, f"expected a COCO-style JSON object, got {type(raw).__name__}")
    for key in ("images", "annotations", "categories"):
        if not isinstance(raw.get(key), list):
            raise DataError(path, f"missing list {key!r}")
    k = keypoints if keypoints is not None else skeletons.get(dataset).num_keypoints
    image_extra, ann_extra = tuple(image_extra), tuple(ann_extra)
    images = [image_record(img, i, path, image_extra) for i, img in enumerate(raw["images"])]
    by_id: dict[Any, dict] = {}
    for img in images:
        if img["id"] in by_id:
            raise DataError(path, f"image id {img['id']!r} appears twice")
        by_id[img["id"]] = img
    anns = []
    for i, ann in enumerate(raw["annotations"]):
        image = by_id.get(ann.get("image_id")) if isinstance(ann, dict) else None
        if isinstance(ann, dict) and image is None:
            raise DataError(path, f"annotations[{i}] (id {ann.get('id')}): image_id "
                                  f"{ann.get('image_id')!r} is not in images")
        anns.append(annotation_record(ann, i, image or {}, k, path, ann_extra, parts))
    return images, anns, raw["categories"]


def finalise(dataset: str, images: list[dict], annotations: list[dict], categories: list[dict],
             image_root: str | Path, sources: Sequence[str | Path], **extra: Any) -> dict:
    """Assemble one converted split; an empty split is a ``DataError`` naming the first source."""
    if not images or not annotations:
        raise DataError(sources[0], f"empty split: {len(images)} images, {len(annotations)} "
                                    f"annotations after conversion to {dataset}")
    info = {"dataset": dataset, "image_root": str(image_root),
            "source": [str(s) for s in sources], "description": "converted by posebh.data.real"}
    return {"info": info, "images": images, "annotations": annotations,
            "categories": categories, **extra}
