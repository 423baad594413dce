"""Person detection boxes (COCO detection-results list) attached to a converted val split.

COCO and COCO-WholeBody val are scored on detector boxes
(``COCO_val2017_detections_AP_H_56_person.json``).
The list is kept under the split's ``detections`` key in COCO results form
(``image_id, category_id, bbox, score``); ``posebh.evaluation.predict.detections_to_coco`` turns
it into boxes to crop.
"""

from __future__ import annotations

from pathlib import Path

from posebh.data.coco_validate import check_bbox, check_id, check_number
from posebh.data.errors import DataError
from posebh.data.jsonfile import read_json

PERSON = 1


def load_detections(path: Path, image_ids: set) -> list[dict]:
    """Check a detection-results list against the GT images; keep the person boxes.

    Each detection: ``image_id`` of a GT image, ``bbox`` [x, y, w, h] of finite numbers with
    ``w, h >= 0``, a finite ``score``, an optional id-like ``category_id`` (default person).
    """
    raw = read_json(path)
    if not isinstance(raw, list):
        raise DataError(path, f"expected a JSON list of detections, got {type(raw).__name__}")
    out = []
    for i, det in enumerate(raw):
        if not isinstance(det, dict) or not all(k in det for k in ("image_id", "bbox", "score")):
            raise DataError(path, f"[{i}]: a detection needs image_id, bbox and score")
        where = f"[{i}]"
        bbox = check_bbox(det["bbox"], where, path)
        score = check_number(det["score"], "score", where, path)
        image_id = check_id(det["image_id"], "image_id", where, path)
        category = check_id(det.get("category_id", PERSON), "category_id", where, path)
        if image_id not in image_ids:
            raise DataError(path, f"[{i}]: image_id {image_id!r} is not in the GT images")
        if category == PERSON:
            out.append({"image_id": image_id, "category_id": PERSON, "bbox": bbox,
                        "score": score})
    return out
