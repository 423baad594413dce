"""COCO 2017 person keypoints (``person_keypoints_{train,val}2017.json``) -> the suite format.

Roles: ``annotations``, ``images`` (folder of the split's jpgs), optional ``detections`` (the
person detection results used for val, attached as ``detections``). ``segmentation`` and the
Flickr/COCO URL fields are dropped; everything else is kept as published.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from posebh.data.real.coco_format import convert_coco_style, finalise
from posebh.data.real.detections import load_detections
from posebh.data.real.files import read_json

REQUIRED: tuple[str, ...] = ("annotations", "images")
OPTIONAL: tuple[str, ...] = ("detections",)


def convert_with(files: Mapping[str, Path], dataset: str, **style: Any) -> dict:
    """A COCO-style split (+ optional detections); ``style`` goes to ``convert_coco_style``."""
    path = files["annotations"]
    images, anns, cats = convert_coco_style(read_json(path), path, dataset, **style)
    sources: list[Path] = [path]
    extra = {}
    if files.get("detections") is not None:
        extra["detections"] = load_detections(files["detections"], {i["id"] for i in images})
        sources.append(files["detections"])
    return finalise(dataset, images, anns, cats, files["images"], sources, **extra)


def convert(files: Mapping[str, Path], dataset: str = "coco") -> dict:
    """Convert one COCO person-keypoint split (17 keypoints)."""
    return convert_with(files, dataset)
