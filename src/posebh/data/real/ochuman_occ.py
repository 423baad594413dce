"""OCHuman "(occ)" sets of PoseBH Table 10: the occluded keypoints only.

PoseBH evaluates "(occ)" on ``ochuman_{val,test}_occ.json`` "following the protocol of PCT" (its
configs ``ochuman/ViTPose_*_ochuman_occ_256x192.py``); neither repository ships those files or the
script that made them. When a user places them where ``data.real.ochuman_occ`` says, they are
converted like any OCHuman split. Otherwise the suite derives a stand-in here: every instance with at
least one occluded keypoint (``v = 1``), its visible (``v = 2``) keypoints unlabelled, so OKS AP
measures the occluded points alone. The derivation is ours, and the report's Table 10 note says so.
"""

from __future__ import annotations

import copy
from pathlib import Path

OCCLUDED = 1  # COCO visibility flag: labelled, not visible


def occluded_only(coco: dict) -> dict:
    """The instances of ``coco`` with an occluded keypoint, keeping only their occluded keypoints."""
    out = copy.deepcopy(coco)
    anns = []
    for ann in out["annotations"]:
        kp = ann["keypoints"]
        keep = [kp[i + 2] == OCCLUDED for i in range(0, len(kp), 3)]
        if not any(keep):
            continue
        ann["keypoints"] = [v for j, k in enumerate(keep) for v in (kp[3 * j: 3 * j + 3] if k else (0, 0, 0))]
        ann["num_keypoints"] = sum(keep)
        anns.append(ann)
    used = {a["image_id"] for a in anns}
    out["annotations"] = anns
    out["images"] = [img for img in out["images"] if img["id"] in used]
    out.setdefault("info", {})["subset"] = "occluded keypoints only (v=1), derived by the suite"
    return out


def occ_file(raw_root: Path, params: dict, split: str) -> Path | None:
    """The user's PCT-protocol file for ``split`` when ``data.real.ochuman_occ`` names one that exists."""
    rel = (params.get("real", {}).get("ochuman_occ") or {}).get(split)
    return raw_root / rel if rel and (raw_root / rel).is_file() else None
