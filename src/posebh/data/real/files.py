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

from posebh.data.errors import DataError
from posebh.io import atomic_open


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; a missing, unreadable, corrupt or truncated file is a ``DataError``."""
    p = Path(path)
    if not p.is_file():
        raise DataError(p, "file not found")
    try:
        with p.open("rb") as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise DataError(p, f"malformed or truncated JSON ({err.msg} at line {err.lineno} "
                           f"column {err.colno})") from None
    except UnicodeDecodeError as err:
        raise DataError(p, f"not valid JSON text ({err.encoding}: {err.reason} at byte "
                           f"{err.start})") from None
    except OSError as err:
        raise DataError(p, f"cannot read ({err.strerror})") from None


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
    except OSError as err:
        raise DataError(path, f"not a readable image ({err})") from None


def check_images(coco: dict, image_root: Path, source: str | Path) -> None:
    """Raise naming the first image of ``coco`` missing under ``image_root`` (and how many are)."""
    missing = [img["file_name"] for img in coco["images"]
               if not (image_root / img["file_name"]).is_file()]
    if missing:
        raise DataError(image_root / missing[0],
                        f"image file not found ({len(missing)} of {len(coco['images'])} images "
                        f"listed in {source} are missing)")
