"""Reading raw annotation files and writing converted ones, with one-line errors.

``write_json`` writes through ``posebh.io.atomic_open`` (temp file in the target folder, fsync,
rename, usual permissions), so a crash never leaves a half-written file where a later stage would
take it as complete.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

from posebh.data.coco_validate import check_image_files
from posebh.data.errors import DataError
from posebh.data.jsonfile import read_json
from posebh.io import atomic_open

__all__ = ["check_images", "image_size", "read_json", "write_json"]


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as JSON through a temp file and an atomic rename."""
    with atomic_open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) read from the image header only."""
    if not path.is_file():
        raise DataError(path, "image file not found")
    try:
        with Image.open(path) as im:
            return int(im.width), int(im.height)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise DataError(path, f"not a readable image ({str(err).splitlines()[0] if str(err) else type(err).__name__})") from None


def check_images(coco: dict, image_root: Path, source: str | Path) -> None:
    """Every image of ``coco`` exists under ``image_root``, decodes and has its declared size.

    The first failure is a ``DataError`` (a missing file also says how many are missing); see
    ``posebh.data.coco_validate.check_image_files``.
    """
    check_image_files(coco, image_root, source)
