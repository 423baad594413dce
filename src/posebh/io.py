"""Atomic file writes: a temp file in the target folder, fsync, ``os.replace``, fsync the folder.

After a crash the target holds either its old content or the complete new one (the temp file is
flushed to disk before the rename, the rename itself before returning). The file gets the usual
permissions (``0666 & ~umask``), not ``mkstemp``'s 0600. ``atomic_write_many`` publishes
several files together (all or none: files that only make sense as a set, e.g. the three APT-36K
split files).
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def _umask() -> int:
    """The process umask, read without changing it where the OS tells it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def fsync_dir(path: Path | str) -> None:
    """Flush a folder's entries (a rename into it) to disk; a no-op where the OS cannot."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # e.g. Windows, some network file systems
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_open(path: Path | str, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """``open`` for writing whose file appears at ``path`` complete or not at all.

    Writes go to a temp file beside ``path``; on a clean exit it is fsynced, given the usual
    permissions and renamed onto ``path`` (then the folder is fsynced); on an error it is removed.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open: mode {mode!r} is not 'wb' or 'w'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding=encoding if mode == "w" else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and an atomic rename."""
    with atomic_open(path, "wb") as f:
        f.write(data)


def _write_temp(path: Path, data: bytes) -> Path:
    """``data`` in a new fsynced temp file beside ``path`` with the usual (umask) permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


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
    for parent in {p.parent for p, _ in items}:
        fsync_dir(parent)


def save_torch(obj: object, path: Path | str) -> None:
    """``torch.save`` that never leaves a half-written file at ``path``."""
    import torch  # here, so that plain file writers do not pay for importing torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write(path, buf.getvalue())
