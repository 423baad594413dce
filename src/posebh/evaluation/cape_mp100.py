"""Real MP-100 annotations -> the CAPE evaluator's input (category name -> instances).

MP-100 (POMNet, ECCV 2022) ships COCO-style files ``mp100_split{1..5}_{train,val,test}.json``: the
usual ``images`` / ``annotations`` / ``categories`` lists, one category per sub-category (100 in
all), each with its own ``keypoints`` name list (1 to 68 points). The images come from the source
datasets; reading annotations needs none of them.

Instances are kept as POMNet's loader keeps them (``transformer_dataset.py``): crowd annotations,
those without ``bbox`` or ``keypoints``, with all keypoint numbers 0 or ``num_keypoints`` 0 are
left out; the box is cleaned to the image (x1 = max(0, x), x2 = min(W - 1, x1 + max(0, w - 1)),
the same for y; kept iff x2 > x1, y2 > y1 and ``area`` > 0 where given) and stored as
[x1, y1, x2 - x1, y2 - y1]; a keypoint is visible iff v > 0. Order: by image id, then annotation
id. A file's categories are those with at least one kept instance (whether ``categories`` lists
only the file's own or all 100 then does not matter). Anything malformed is a one-line
``DataError`` naming the file and the entry.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from posebh.data.category_splits import PARTS, CategorySplit, check_category_splits
from posebh.data.errors import DataError
from posebh.data.jsonfile import read_json
from posebh.evaluation.cape_episodes import CapeInstance

MP100_SPLITS: tuple[int, ...] = (1, 2, 3, 4, 5)
MP100_SIZES: tuple[int, int, int] = (70, 10, 20)  # train / val / test categories per split


def mp100_file(directory: str | Path, split: int, part: str) -> Path:
    """``<directory>/mp100_split<split>_<part>.json``."""
    return Path(directory) / f"mp100_split{split}_{part}.json"


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _list_of(doc: dict, key: str, path: Path) -> list[dict]:
    items = doc.get(key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise DataError(path, f"'{key}' must be a list of objects (COCO-style MP-100 file)")
    return items


def _categories(path: Path, doc: dict) -> dict[int, tuple[str, int | None]]:
    """category id -> (name, keypoint count from its name list, or None when not listed)."""
    out: dict[int, tuple[str, int | None]] = {}
    names: set[str] = set()
    for c in _list_of(doc, "categories", path):
        cid, name, kps = c.get("id"), c.get("name"), c.get("keypoints")
        if not _int(cid) or not isinstance(name, str) or not name:
            raise DataError(path, f"category {c.get('id')!r}: needs an integer 'id' and a name")
        if cid in out or name in names:
            raise DataError(path, f"category {cid} ({name!r}): id or name given twice")
        if kps is not None and not isinstance(kps, list):
            raise DataError(path, f"category {name!r}: 'keypoints' must be a list of names")
        out[cid] = (name, len(kps) if kps else None)
        names.add(name)
    return out


def _images(path: Path, doc: dict) -> dict[int, tuple[float, float, str]]:
    """image id -> (width, height, file name)."""
    out: dict[int, tuple[float, float, str]] = {}
    for im in _list_of(doc, "images", path):
        iid, w, h = im.get("id"), im.get("width"), im.get("height")
        if not _int(iid) or not _number(w) or not _number(h) or w <= 0 or h <= 0:
            raise DataError(path, f"image {im.get('id')!r}: needs an integer 'id' and positive "
                                  "'width' and 'height'")
        if iid in out:
            raise DataError(path, f"image {iid}: id given twice")
        out[iid] = (float(w), float(h), str(im.get("file_name", "")))
    return out


def _clean_box(bbox: list[float], width: float, height: float) -> list[float] | None:
    """POMNet's box sanitising: clip to the image; None for an empty box."""
    x, y, w, h = bbox
    x1, y1 = max(0.0, x), max(0.0, y)
    x2 = min(width - 1, x1 + max(0.0, w - 1))
    y2 = min(height - 1, y1 + max(0.0, h - 1))
    return [x1, y1, x2 - x1, y2 - y1] if x2 > x1 and y2 > y1 else None


def _instance(path: Path, ann: dict, cats: dict, images: dict) -> tuple[str, CapeInstance] | None:
    """One annotation -> (category name, instance), None where POMNet's loader skips it."""
    aid = ann.get("id")
    if ann.get("iscrowd"):
        return None
    if ann.get("image_id") not in images:
        raise DataError(path, f"annotation {aid}: image_id {ann.get('image_id')!r} is not in 'images'")
    if ann.get("category_id") not in cats:
        raise DataError(path, f"annotation {aid}: category_id {ann.get('category_id')!r} is not "
                              "in 'categories'")
    if "bbox" not in ann or "keypoints" not in ann:
        return None
    bbox, kps = ann["bbox"], ann["keypoints"]
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(_number(b) for b in bbox):
        raise DataError(path, f"annotation {aid}: 'bbox' must be 4 finite numbers (x, y, w, h)")
    name, j = cats[ann["category_id"]]
    if not isinstance(kps, list) or not kps or len(kps) % 3 or not all(_number(k) for k in kps):
        raise DataError(path, f"annotation {aid}: 'keypoints' must be a non-empty list of finite "
                              "numbers x, y, v per point")
    if j is not None and len(kps) != 3 * j:
        raise DataError(path, f"annotation {aid}: {len(kps)} keypoint numbers, category {name!r} "
                              f"names {j} keypoints ({3 * j} numbers)")
    if max(kps) == 0 or ann.get("num_keypoints", 1) == 0:
        return None
    area = ann.get("area")
    if area is not None and (not _number(area) or area <= 0):
        return None
    width, height, file_name = images[ann["image_id"]]
    box = _clean_box([float(b) for b in bbox], width, height)
    if box is None:
        return None
    keypoints = np.asarray(kps, dtype=np.float64).reshape(-1, 3)  # (J, 3) x, y, v
    return name, CapeInstance(keypoints=keypoints, box=np.asarray(box), image_id=ann["image_id"],
                              image_file=file_name)


def read_mp100(path: str | Path) -> dict[str, list[CapeInstance]]:
    """One MP-100 annotation file -> category name -> its kept instances (module docstring)."""
    p = Path(path)
    doc = read_json(p)
    if not isinstance(doc, dict):
        raise DataError(p, "expected a JSON object with 'images', 'annotations' and 'categories'")
    cats, images = _categories(p, doc), _images(p, doc)
    anns = _list_of(doc, "annotations", p)
    ids = [a.get("id") for a in anns]
    if not all(_int(i) for i in ids) or len(set(ids)) != len(ids):
        raise DataError(p, "every annotation needs an integer 'id', each id once")
    kept = []  # (image id, annotation id, category name, instance)
    for ann in anns:
        one = _instance(p, ann, cats, images)
        if one is not None:
            kept.append((one[1].image_id, ann["id"], *one))
    out: dict[str, list[CapeInstance]] = {}
    for _, aid, name, inst in sorted(kept, key=lambda k: k[:2]):
        same = out.setdefault(name, [])
        if same and same[0].num_keypoints != inst.num_keypoints:
            raise DataError(p, f"annotation {aid}: {inst.num_keypoints} keypoints, other {name!r} "
                               f"annotations have {same[0].num_keypoints}")
        same.append(inst)
    return {name: out[name] for name in sorted(out)}


def mp100_category_splits(directory: str | Path,
                          splits: tuple[int, ...] = MP100_SPLITS) -> list[CategorySplit]:
    """The train / val / test categories of each split, read from the 3 files of each."""
    out = []
    for s in splits:
        parts = {part: frozenset(read_mp100(mp100_file(directory, s, part))) for part in PARTS}
        out.append(CategorySplit(name=f"split{s}", **parts))
    return out


def check_mp100_splits(directory: str | Path, splits: tuple[int, ...] = MP100_SPLITS,
                       expected_sizes: tuple[int, int, int] | None = None) -> list[CategorySplit]:
    """Read the splits and check the MP-100 rule (``category_splits``); ``DataError`` naming the
    folder and every broken rule. ``expected_sizes``: e.g. ``MP100_SIZES`` for the full set."""
    found = mp100_category_splits(directory, splits)
    try:
        check_category_splits(found, expected_sizes=expected_sizes)
    except ValueError as err:
        raise DataError(directory, f"MP-100 category splits break the rule: {err}") from None
    return found
