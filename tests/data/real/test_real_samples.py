"""The real samples (../shared/fixtures/real-samples, skipped where absent) of the converters that
share this shape: the annotation count, a converter-specific check, and every image on disk (COCO,
MPII and InterHand2.6M check their samples in their own files)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from posebh.data.real import convert_aic, convert_ap10k, convert_ochuman, convert_wholebody
from posebh.data.real.files import check_images


def _wholebody(out: dict) -> None:
    assert all(len(a["face_kpts"]) == 204 and len(a["righthand_kpts"]) == 63 for a in out["annotations"])


def _aic(out: dict) -> None:
    assert all(a["iscrowd"] == 0 for a in out["annotations"])
    assert out["annotations"][0]["area"] == 213 * 544  # the release has no area: box area


def _ap10k(out: dict) -> None:
    assert len(out["categories"]) == 54


def _nothing_more(out: dict) -> None:
    pass


# dataset, converter, annotation file and image folder under the samples, annotations, check
SAMPLES = [
    ("coco_wholebody", convert_wholebody.convert, "coco/test_coco_wholebody.json", "coco", 14, _wholebody),
    ("aic", convert_aic.convert, "aic/test_aic.json", "aic", 9, _aic),
    ("ap10k", convert_ap10k.convert, "ap10k/test_ap10k.json", "ap10k", 2, _ap10k),
    ("ochuman", convert_ochuman.convert, "ochuman/test_ochuman.json", "ochuman", 5, _nothing_more),
]


@pytest.mark.parametrize("dataset,convert,annotations,folder,count,check", SAMPLES,
                         ids=[s[0] for s in SAMPLES])
def test_real_sample(real_samples: Path, dataset: str, convert: Callable, annotations: str,
                     folder: str, count: int, check: Callable[[dict], None]) -> None:
    out = convert({"annotations": real_samples / annotations, "images": real_samples / folder})
    assert len(out["annotations"]) == count
    check(out)
    check_images(out, real_samples / folder, folder)
