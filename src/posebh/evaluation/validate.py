"""Input checks for ``posebh evaluate``: GT and prediction files; every failure is a one-line
``DataError("<file>: <problem>")`` (a ``ValueError``).

The GT goes through the suite's one COCO validator (``posebh.data.coco_validate``): unique image
and annotation ids, known categories, keypoint fields of the dataset's layout with visibility
0/1/2, boxes, areas and ``iscrowd`` of the right type and range. Predictions must name a GT image
and a GT category and carry the dataset's keypoints and a finite score. COCO-WholeBody results
are accepted in both layouts: 133x3 ``keypoints``, or the official one (``keypoints`` 17x3 plus
``foot_kpts``, ``face_kpts``, ``lefthand_kpts``, ``righthand_kpts``), which is mapped to the
former in skeleton order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from posebh import skeletons
from posebh.data.coco_validate import check_id, check_keypoints, check_number, validate_coco
from posebh.data.errors import DataError
from posebh.data.jsonfile import read_json

RESULT_KEYS: tuple[str, ...] = ("image_id", "category_id", "keypoints", "score")


def gt_requirements(dataset: str | None) -> tuple[str, ...]:
    """Annotation keys the dataset's protocol needs beyond the COCO ones."""
    if dataset is None:
        return ()
    sk = skeletons.get(dataset)
    need = ("area",) if sk.metric == "oks" and sk.use_area else ()
    return need + (("head_bbox",) if sk.metric == "pckh" else ())


def load_gt(path: str | Path, dataset: str | None = None) -> dict:
    """Read and validate a COCO-keypoint GT file (with ``dataset``: its keypoint layout too)."""
    data = read_json(path)
    return validate_coco(data, path, dataset, require=gt_requirements(dataset))


def _keypoints_of(res: dict, sk: skeletons.Skeleton, where: str, path: str | Path) -> list:
    """The result's keypoints in the suite's layout (all ``num_keypoints`` in ``keypoints``)."""
    split = [f for f, _ in sk.parts[1:] if f in res]
    if not split:
        if sk.part_fields and isinstance(res["keypoints"], list) \
                and len(res["keypoints"]) == 3 * sk.parts[0][1]:
            fields = ", ".join(f for f, _ in sk.parts[1:])
            raise DataError(path, f"{where}: keypoints has {len(res['keypoints'])} values and no "
                                  f"{fields}: expected {3 * sk.num_keypoints} values or all of them")
        return check_keypoints(res["keypoints"], sk.num_keypoints, where, path)
    missing = [f for f, _ in sk.parts if f not in res]
    if missing:
        raise DataError(path, f"{where}: has {', '.join(split)} but lacks {', '.join(missing)}")
    out: list = []
    for field, n in sk.parts:
        out += check_keypoints(res[field], n, where, path, field)
    return out


def load_results(path: str | Path, gt: dict, dataset: str) -> list[dict]:
    """Read and check a COCO results list against the (validated) ``gt`` and the dataset.

    Returns the results with ``keypoints`` in the suite's layout (COCO-WholeBody part fields
    merged into one 133x3 list).
    """
    data = read_json(path)
    if not isinstance(data, list):
        raise DataError(path, "results must be a JSON list of detections")
    sk = skeletons.get(dataset)
    image_ids = {img["id"] for img in gt["images"]}
    category_ids = {c["id"] for c in gt["categories"]}
    part_fields = {f for f, _ in sk.parts[1:]}
    out: list[dict[str, Any]] = []
    for i, res in enumerate(data):
        where = f"[{i}]"
        if not isinstance(res, dict):
            raise DataError(path, f"{where} is not an object")
        for key in RESULT_KEYS:
            if key not in res:
                raise DataError(path, f"{where}: missing key {key!r}")
        image_id = check_id(res["image_id"], "image_id", where, path)
        if image_id not in image_ids:
            raise DataError(path, f"{where}: image_id {image_id!r} is absent from the GT")
        category = check_id(res["category_id"], "category_id", where, path)
        if category not in category_ids:
            raise DataError(path, f"{where}: category_id {category!r} is not a GT category "
                                  f"{sorted(category_ids, key=str)[:10]}")
        if "ann_id" in res:
            check_id(res["ann_id"], "ann_id", where, path)
        kps = _keypoints_of(res, sk, where, path)
        check_number(res["score"], "score", where, path)
        out.append({**{k: v for k, v in res.items() if k not in part_fields}, "keypoints": kps})
    return out
