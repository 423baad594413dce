"""Reading raw annotation files and writing converted ones, with one-line errors.

``write_json`` writes to a temp file in the target folder and renames it, so a crash never leaves
a half-written file where a later stage would take it as complete (the same idea as
``posebh.pipelines.atomic_datasets``, without importing Kedro).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

from posebh.data.errors import DataError


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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
