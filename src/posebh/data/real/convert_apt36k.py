"""APT-36K (raw ``apt36k_annotations.json``) -> three split files in the suite format.

The 7:1:2 video-level split is ``posebh.data.splits.split_apt36k`` (the same code the embedded
analogue uses; ``official`` = PoseBH's ``prepro_apt36k.py``). Each part is then checked like any
COCO-style file (17 AP-10K keypoints, boxes inside the image), keeping ``video_id`` on images
and ``video_id``/``track_id`` on annotations. Image paths are ``<species>/<clip>/<frame>`` under
``images``; for the five clip folders the released script renames, the annotation's own spelling
is used when only that folder exists (archives extracted with another code page).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from posebh.data.errors import DataError
from posebh.data.real.coco_format import convert_coco_style, finalise
from posebh.data.real.files import read_json
from posebh.data.splits import FOLDER_FIXES, SplitError, split_apt36k, summary

REQUIRED: tuple[str, ...] = ("annotations", "images")
OPTIONAL: tuple[str, ...] = ()
UNFIX: dict[str, str] = {v: k for k, v in FOLDER_FIXES.items()}


def _unfixed(file_name: str, image_root: Path) -> str:
    """The annotation's own clip-folder spelling when the renamed folder does not exist."""
    parts = file_name.split("/")
    if len(parts) == 3 and parts[1] in UNFIX and not (image_root / file_name).exists():
        alt = "/".join([parts[0], UNFIX[parts[1]], parts[2]])
        if (image_root / alt).exists():
            return alt
    return file_name


def convert(files: Mapping[str, Path], rule: str = "official", seed: int = 0,
            dataset: str = "apt36k") -> tuple[dict[str, dict], dict]:
    """Split and convert; returns ({'train','val','test'} -> split dict, per-split summary)."""
    path, image_root = files["annotations"], files["images"]
    try:
        parts = split_apt36k(read_json(path), rule=rule, seed=seed)
    except SplitError as err:
        raise DataError(path, f"cannot split: {err}") from None
    except KeyError as err:
        raise DataError(path, f"cannot split: a record lacks key {err}") from None
    except TypeError as err:
        raise DataError(path, f"cannot split: malformed record ({err})") from None
    out = {}
    for name, part in parts.items():
        for img in part["images"]:
            img["file_name"] = _unfixed(img["file_name"], image_root)
        images, anns, cats = convert_coco_style(part, path, dataset, image_extra=("video_id",),
                                                ann_extra=("video_id", "track_id"))
        out[name] = finalise(dataset, images, anns, cats, image_root, [path])
        out[name]["info"]["split_rule"] = rule
    return out, summary(parts)
