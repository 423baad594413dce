"""One content hash of the converted/rendered datasets, so that downstream DVC stages depend on
one small file instead of re-hashing the ~12 000 rendered images each (``dvc status`` ran the
folder hash once per stage: 6 s of a no-op ``dvc repro``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path


def content_digest(sets: Mapping[str, dict], image_root: Path | None) -> dict:
    """sha256 over every dataset dict (canonical JSON) and, when ``image_root`` is given (the
    stage rendered its images there), every file below it (relative path + bytes)."""
    h = hashlib.sha256()
    for name in sorted(sets):
        h.update(name.encode())
        h.update(json.dumps(sets[name], sort_keys=True).encode())
    files = sorted(p for p in image_root.rglob("*") if p.is_file()) if image_root else []
    for p in files:
        h.update(str(p.relative_to(image_root)).encode())
        h.update(p.read_bytes())
    return {"sha256": h.hexdigest(), "datasets": sorted(sets), "image_files": len(files)}
