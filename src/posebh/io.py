"""Atomic file writes: a temp file in the target folder, then ``os.replace``.

``atomic_write`` publishes one file; ``atomic_write_many`` publishes several together (all or
none: used where files only make sense as a set, e.g. the three APT-36K split files).
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path


def _write_temp(path: Path, data: bytes) -> Path:
    """``data`` in a new temp file beside ``path`` with the usual (umask) permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and an atomic rename."""
    path = Path(path)
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _keep_aside(path: Path) -> Path:
    """A hard link (else a copy) of ``path`` under a fresh hidden name beside it."""
    aside = path.with_name(f".{path.name}.{secrets.token_hex(6)}.old")
    try:
        os.link(path, aside)
    except OSError:
        shutil.copy2(path, aside)
    return aside


def atomic_write_many(files: Mapping[Path | str, bytes]) -> None:
    """Publish several files together: after it returns all hold the new data; if it raises,
    none has changed.

    Every new file is first written to a temp file beside its target, and each existing target
    is kept aside (hard link, else copy); only then are the temp files renamed into place one by
    one. If a write or rename fails, the targets already replaced get their old content back
    (or are removed if they did not exist before) and the error is re-raised. Temp files and
    kept-aside copies are removed in every case. Each rename is atomic, but a reader that looks
    during the rename sequence can still see old and new files side by side.
    """
    items = [(Path(p), data) for p, data in files.items()]
    temps: dict[Path, Path] = {}
    aside: dict[Path, Path] = {}
    done: list[Path] = []
    try:
        for path, data in items:
            temps[path] = _write_temp(path, data)
        for path, _ in items:
            if path.exists() or path.is_symlink():
                aside[path] = _keep_aside(path)
        for path, _ in items:
            os.replace(temps[path], path)
            del temps[path]
            done.append(path)
    except BaseException:
        for path in reversed(done):
            try:
                if path in aside:
                    os.replace(aside[path], path)
                    del aside[path]
                else:
                    path.unlink(missing_ok=True)
            except OSError:
                pass  # best effort; the original error is what the caller needs
        raise
    finally:
        for leftover in (*temps.values(), *aside.values()):
            leftover.unlink(missing_ok=True)


def save_torch(obj: object, path: Path | str) -> None:
    """``torch.save`` that never leaves a half-written file at ``path``."""
    import torch  # here, so that the JSON writers above do not pay for importing torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write(path, buf.getvalue())
