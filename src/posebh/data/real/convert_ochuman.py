"""OCHuman (``ochuman_coco_format_{val,test}_range_0.00_1.00.json``) -> the suite format.

COCO-style with the COCO 17-keypoint skeleton; the unseen-data table scores the COCO head on it
with GT boxes. ``info.dataset`` is ``ochuman`` and ``info.skeleton`` is ``coco``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from posebh.data.real.coco_format import convert_coco_style, finalise
from posebh.data.real.files import read_json

REQUIRED: tuple[str, ...] = ("annotations", "images")
OPTIONAL: tuple[str, ...] = ()


def convert(files: Mapping[str, Path], dataset: str = "ochuman") -> dict:
    """Convert one OCHuman split (keypoints checked against the COCO skeleton)."""
    path = files["annotations"]
    images, anns, cats = convert_coco_style(read_json(path), path, "coco")
    out = finalise(dataset, images, anns, cats, files["images"], [path], skeleton="coco")
    out["info"]["skeleton"] = "coco"
    return out
