"""COCO-WholeBody v1.0 (``coco_wholebody_{train,val}_v1.0.json``) -> the suite format.

Annotations keep the published layout: 17 body points in ``keypoints``, then ``foot_kpts`` (6),
``face_kpts`` (68), ``lefthand_kpts`` (21), ``righthand_kpts`` (21), each checked for length,
plus the ``*_valid`` flags and ``*_box`` boxes. Images are COCO's; val may carry the COCO person
detections as ``detections``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from posebh.data.real import convert_coco

REQUIRED: tuple[str, ...] = ("annotations", "images")
OPTIONAL: tuple[str, ...] = ("detections",)
BODY = 17
PARTS: tuple[tuple[str, int], ...] = (
    ("foot_kpts", 6), ("face_kpts", 68), ("lefthand_kpts", 21), ("righthand_kpts", 21))
FLAGS: tuple[str, ...] = ("foot_valid", "face_valid", "lefthand_valid", "righthand_valid",
                          "face_box", "lefthand_box", "righthand_box")


def convert(files: Mapping[str, Path], dataset: str = "coco_wholebody") -> dict:
    """Convert one COCO-WholeBody split (133 keypoints in five fields)."""
    return convert_coco.convert_with(files, dataset, ann_extra=FLAGS, parts=PARTS, keypoints=BODY)
