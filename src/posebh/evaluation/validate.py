"""Input checks for GT / prediction files; every failure is a one-line ``ValueError("<file>: <problem>")``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from posebh import skeletons

GT_KEYS: tuple[str, ...] = ("images", "annotations", "categories")
GT_ANN_KEYS: tuple[str, ...] = ("id", "image_id", "keypoints", "bbox")
RESULT_KEYS: tuple[str, ...] = ("image_id", "category_id", "keypoints", "score")
WHOLEBODY_PART_FIELDS: tuple[tuple[str, int], ...] = (
    ("keypoints", 17),
    ("foot_kpts", 6),
    ("face_kpts", 68),
    ("lefthand_kpts", 21),
    ("righthand_kpts", 21),
)


def _fail(path: str | Path, problem: str) -> ValueError:
    return ValueError(f"{path}: {problem}")


def _read_json(path: str | Path) -> Any:
    p = Path(path)
    if not p.is_file():
        raise _fail(path, "file not found")
    try:
        return json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _fail(path, f"malformed JSON ({msg})") from None


def _check_kpt_list(path, where: str, value: Any, n_kpts: int) -> None:
    if not isinstance(value, list):
        raise _fail(path, f"{where}: keypoints is not a list")
    if len(value) != 3 * n_kpts:
        raise _fail(
            path,
            f"{where}: {len(value)} keypoint values, expected {3 * n_kpts} ({n_kpts} keypoints x 3)",
        )
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise _fail(path, f"{where}: keypoint value {v!r} is not a finite number")


def load_gt(path: str | Path, dataset: str | None = None) -> dict:
    """Read and check a COCO-keypoint GT file; with ``dataset``, also check the keypoint count."""
    data = _read_json(path)
    if not isinstance(data, dict):
        raise _fail(path, "GT must be a JSON object with images/annotations/categories")
    for key in GT_KEYS:
        if key not in data:
            raise _fail(path, f"missing key {key!r}")
        if not isinstance(data[key], list):
            raise _fail(path, f"{key!r} is not a list")
    for i, img in enumerate(data["images"]):
        if not isinstance(img, dict) or "id" not in img:
            raise _fail(path, f"images[{i}]: missing key 'id'")
    image_ids = {img["id"] for img in data["images"]}
    sk = skeletons.get(dataset) if dataset is not None else None
    need_area = sk is not None and sk.metric == "oks" and sk.use_area
    for i, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict):
            raise _fail(path, f"annotations[{i}] is not an object")
        for key in GT_ANN_KEYS + (("area",) if need_area else ()):
            if key not in ann:
                raise _fail(path, f"annotations[{i}] (id {ann.get('id')}): missing key {key!r}")
        if ann["image_id"] not in image_ids:
            raise _fail(path, f"annotations[{i}]: image_id {ann['image_id']!r} not in images")
        if sk is None:
            continue
        if sk.name == "coco_wholebody":
            for field, n in WHOLEBODY_PART_FIELDS:
                if field not in ann:
                    raise _fail(path, f"annotations[{i}] (id {ann['id']}): missing key {field!r}")
                _check_kpt_list(path, f"annotations[{i}].{field}", ann[field], n)
        else:
            _check_kpt_list(path, f"annotations[{i}]", ann["keypoints"], sk.num_keypoints)
        if sk.metric == "pckh" and "head_bbox" not in ann:
            raise _fail(path, f"annotations[{i}] (id {ann['id']}): missing key 'head_bbox'")
    return data


def load_results(path: str | Path, gt: dict, dataset: str) -> list[dict]:
    """Read and check a COCO results list against ``gt`` and the dataset's keypoint count."""
    data = _read_json(path)
    if not isinstance(data, list):
        raise _fail(path, "results must be a JSON list of detections")
    sk = skeletons.get(dataset)
    image_ids = {img["id"] for img in gt.get("images", [])}
    for i, res in enumerate(data):
        if not isinstance(res, dict):
            raise _fail(path, f"[{i}] is not an object")
        for key in RESULT_KEYS:
            if key not in res:
                raise _fail(path, f"[{i}]: missing key {key!r}")
        if res["image_id"] not in image_ids:
            raise _fail(path, f"[{i}]: image_id {res['image_id']!r} is absent from the GT")
        _check_kpt_list(path, f"[{i}]", res["keypoints"], sk.num_keypoints)
        s = res["score"]
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s):
            raise _fail(path, f"[{i}]: score {s!r} is not a finite number")
    return data
