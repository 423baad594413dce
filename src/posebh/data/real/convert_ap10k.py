"""AP-10K (``ap10k-{train,val,test}-split1.json``, COCO-style, 54 species) -> the suite format.

ViTPose++ and PoseBH use split 1. The file is COCO-style already; species categories are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from posebh.data.real import convert_coco

REQUIRED: tuple[str, ...] = ("annotations", "images")
OPTIONAL: tuple[str, ...] = ()


def convert(files: Mapping[str, Path], dataset: str = "ap10k") -> dict:
    """Convert one AP-10K split (17 animal keypoints, species as categories)."""
    return convert_coco.convert(files, dataset)
