"""Person detection boxes (COCO detection-results list) attached to a converted val split.

COCO and COCO-WholeBody val are scored on detector boxes
(``COCO_val2017_detections_AP_H_56_person.json``).
The list is kept under the split's ``detections`` key in COCO results form
(``image_id, category_id, bbox, score``); ``posebh.evaluation.predict.detections_to_coco`` turns
it into boxes to crop.
"""

from __future__ import annotations

import math
from pathlib import Path

from posebh.data.errors import DataError
from posebh.data.real.files import read_json

PERSON = 1


def load_detections(path: Path, image_ids: set) -> list[dict]:
    """Check a detection-results list against the GT images; keep the person boxes."""
    raw = read_json(path)
    if not isinstance(raw, list):
        raise DataError(path, f"expected a JSON list of detections, got {type(raw).__name__}")
    out = []
    for i, det in enumerate(raw):
        if not isinstance(det, dict) or not all(k in det for k in ("image_id", "bbox", "score")):
            raise DataError(path, f"[{i}]: a detection needs image_id, bbox and score")
        bbox, score = det["bbox"], det["score"]
        if (not isinstance(bbox, list) or len(bbox) != 4
                or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in bbox)):
            raise DataError(path, f"[{i}]: bbox {bbox!r} is not [x, y, w, h] of 4 finite numbers")
        if (isinstance(score, bool) or not isinstance(score, (int, float))
                or not math.isfinite(score)):
            raise DataError(path, f"[{i}]: score {score!r} is not a finite number")
        if det["image_id"] not in image_ids:
            raise DataError(path, f"[{i}]: image_id {det['image_id']!r} is not in the GT images")
        if det.get("category_id", PERSON) == PERSON:
            out.append({"image_id": det["image_id"], "category_id": PERSON, "bbox": bbox,
                        "score": score})
    return out
