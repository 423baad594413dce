"""Unpack an archive so that its ``provides`` entries appear in the dataset folder, atomically.

The archive is extracted into a temporary folder beside the targets; each wanted entry is then
moved into place with one rename, so a target is either complete or absent. An entry is found by
its path suffix (``annotations/all/x.json``, then ``all/x.json``, then ``x.json``), which copes
with archives that add or omit a top-level folder.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from posebh.data.errors import DataError


def _extract(archive: Path, dest: Path) -> None:
    name = archive.name.lower()
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(dest)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(dest, filter="data")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as err:
        raise DataError(archive, f"corrupt or unreadable archive ({type(err).__name__}: "
                                 f"{str(err).splitlines()[0] if str(err) else ''})") from None


def _find(tree: list[tuple[str, ...]], target: str, archive: Path) -> tuple[str, ...]:
    parts = PurePosixPath(target).parts
    for n in range(len(parts), 0, -1):
        hits = [p for p in tree if p[-n:] == parts[-n:]]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            shown = ", ".join("/".join(h) for h in sorted(hits, key=len)[:3])
            raise DataError(archive, f"{target}: {len(hits)} candidates in the archive ({shown})")
    raise DataError(archive, f"the archive contains no {target}")


def unpack(archive: Path, root: Path, provides: tuple[str, ...]) -> None:
    """Extract ``archive`` and move each missing ``provides`` entry to ``root/<entry>``."""
    wanted = [p for p in provides if not (root / p).exists()]
    if not wanted:
        return
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".unpack-{archive.name}."))
    try:
        _extract(archive, tmp)
        tree = [p.relative_to(tmp).parts for p in tmp.rglob("*")]
        moves = [(tmp.joinpath(*_find(tree, t, archive)), root / t) for t in wanted]
        for src, dst in moves:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
