"""The suite's one COCO-style format: builders shared by every converter, then one validator.

A converted split is ``{"info": {dataset, image_root, source, description}, "images": [{id,
file_name, width, height, ...}], "annotations": [{id, image_id, category_id, keypoints,
num_keypoints, bbox, area, iscrowd, ...}], "categories": [...]}``. The builders here only check
what they need to build a record (an object, its required keys, keypoints and box as numbers to
count and measure); ``finalise`` then runs ``posebh.data.coco_validate.validate_coco`` on the
converted split (after conversion, so raw visibility codes such as AIC's are already mapped).
Every failure is a one-line ``DataError`` naming the raw file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from posebh import skeletons
from posebh.data.coco_validate import (
    check_bbox,
    check_id,
    check_keypoints,
    is_number,
    validate_coco,
)
from posebh.data.errors import DataError

IMAGE_KEYS: tuple[str, ...] = ("id", "file_name", "width", "height")
ANN_KEYS: tuple[str, ...] = ("id", "image_id", "keypoints", "bbox")

__all__ = ["ANN_KEYS", "IMAGE_KEYS", "annotation_record", "check_bbox", "check_keypoints",
           "convert_coco_style", "count_labelled", "finalise", "image_record", "skeleton_category"]


def count_labelled(keypoints: Sequence[float]) -> int:
    """Number of keypoints with visibility > 0."""
    return sum(1 for v in keypoints[2::3] if v > 0)


def skeleton_category(dataset: str, name: str, cat_id: int = 1) -> dict:
    """A COCO category built from the suite's skeleton table (1-based limb indices)."""
    sk = skeletons.get(dataset)
    return {"id": cat_id, "name": name, "supercategory": name, "keypoints": list(sk.keypoints),
            "skeleton": [[a + 1, b + 1] for a, b in sk.edges]}


def image_record(img: Any, i: int, path: str | Path, extra: Iterable[str] = ()) -> dict:
    """One raw image entry with the suite's fields plus ``extra`` ones when present."""
    if not isinstance(img, dict):
        raise DataError(path, f"images[{i}] is not an object")
    for key in IMAGE_KEYS:
        if key not in img:
            raise DataError(path, f"images[{i}]: missing key {key!r}")
    check_id(img["id"], "id", f"images[{i}]", path)
    for key in ("width", "height"):
        if not is_number(img[key]) or img[key] <= 0:
            raise DataError(path, f"images[{i}] (id {img['id']!r}): {key} {img[key]!r} is not a "
                                  "positive number")
    out = {k: img[k] for k in IMAGE_KEYS}
    out.update({k: img[k] for k in extra if k in img})
    return out


def annotation_record(ann: Any, i: int, k: int, path: str | Path, extra: Iterable[str] = (),
                      parts: Sequence[tuple[str, int]] = ()) -> dict:
    """One raw COCO-style annotation in the suite's form (``finalise`` validates it fully).

    ``parts`` lists further keypoint fields and their sizes (COCO-WholeBody); ``extra`` names
    other raw fields kept as they are. ``num_keypoints``, ``area`` and ``iscrowd`` are kept when
    the raw file has them, else computed (labelled count of ``keypoints``, box area, 0).
    """
    if not isinstance(ann, dict):
        raise DataError(path, f"annotations[{i}] is not an object")
    for key in ANN_KEYS:
        if key not in ann:
            raise DataError(path, f"annotations[{i}] (id {ann.get('id')!r}): missing key {key!r}")
    where = f"annotations[{i}] (id {ann['id']!r})"
    kps = check_keypoints(ann["keypoints"], k, where, path)
    bbox = check_bbox(ann["bbox"], where, path)
    out = {
        "id": ann["id"],
        "image_id": ann["image_id"],
        "category_id": ann.get("category_id", 1),
        "keypoints": kps,
        "num_keypoints": ann.get("num_keypoints", count_labelled(kps)),
        "bbox": bbox,
        "area": ann.get("area", bbox[2] * bbox[3]),
        "iscrowd": ann.get("iscrowd", ann.get("is_crowd", 0)),
    }
    for field, n in parts:
        if field not in ann:
            raise DataError(path, f"{where}: missing key {field!r}")
        out[field] = ann[field]
    out.update({key: ann[key] for key in extra if key in ann})
    return out


def convert_coco_style(raw: Any, path: str | Path, dataset: str, *, image_extra: Iterable[str] = (),
                       ann_extra: Iterable[str] = (), parts: Sequence[tuple[str, int]] = (),
                       keypoints: int | None = None) -> tuple[list[dict], list[dict], list[dict]]:
    """Normalise a raw COCO-style dict -> (images, annotations, categories).

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
        if isinstance(ann, dict):
            where = f"annotations[{i}] (id {ann.get('id')!r})"
            image_id = check_id(ann.get("image_id"), "image_id", where, path)
            if image_id not in by_id:
                raise DataError(path, f"{where}: image_id {image_id!r} is not in images")
        anns.append(annotation_record(ann, i, k, path, ann_extra, parts))
    return images, anns, raw["categories"]


def finalise(dataset: str, images: list[dict], annotations: list[dict], categories: list[dict],
             image_root: str | Path, sources: Sequence[str | Path], skeleton: str | None = None,
             **extra: Any) -> dict:
    """Assemble and validate one converted split (``skeleton``: layout to check, default
    ``dataset``); an empty split is a ``DataError`` naming the first source."""
    if not images or not annotations:
        raise DataError(sources[0], f"empty split: {len(images)} images, {len(annotations)} "
                                    f"annotations after conversion to {dataset}")
    info = {"dataset": dataset, "image_root": str(image_root),
            "source": [str(s) for s in sources], "description": "converted by posebh.data.real"}
    out = {"info": info, "images": images, "annotations": annotations,
           "categories": categories, **extra}
    validate_coco(out, sources[0], skeleton or dataset, limits_of=dataset)
    return out
