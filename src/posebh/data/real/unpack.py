"""Unpack an archive so that its ``provides`` entries appear in the dataset folder, atomically.

The archive is extracted into a temporary folder beside the targets; each wanted entry is then
moved into place with one rename, so a target is either complete or absent. An entry is found by
its path suffix (``annotations/all/x.json``, then ``all/x.json``, then ``x.json``), which copes
with archives that add or omit a top-level folder.

Archives with links (tar symlinks and hardlinks, zip entries whose unix mode is a symlink) are
refused before anything reaches the dataset folder: a link that is harmless inside the temporary
folder can point outside the dataset folder once its entry is moved to a shallower path. A
temporary folder left by a killed unpack (``.unpack-<pid>-*`` of a process that is gone, or an
older ``.unpack-*`` without a pid) is removed by the next unpack into the same folder.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from posebh.data.errors import DataError

log = logging.getLogger(__name__)
TMP_PREFIX = ".unpack-"
_TMP_PID = re.compile(r"^\.unpack-(\d+)-")


def _refuse_link(archive: Path, member: str, kind: str) -> DataError:
    return DataError(archive, f"member {member!r} is a {kind}; archives with links are refused "
                              "(a link could point outside the dataset folder)")


def _zip_members(archive: Path, zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The zip's entries, refusing symlinks (unix mode ``S_IFLNK`` in ``external_attr``)."""
    infos = zf.infolist()
    for info in infos:
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _refuse_link(archive, info.filename, "symbolic link")
    return infos


def _tar_filter(archive: Path):
    """tarfile's ``data`` filter, refusing symlinks and hardlinks first."""
    def check(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
        if member.issym():
            raise _refuse_link(archive, member.name, f"symbolic link (-> {member.linkname})")
        if member.islnk():
            raise _refuse_link(archive, member.name, f"hard link (-> {member.linkname})")
        return tarfile.data_filter(member, path)
    return check


def _extract(archive: Path, dest: Path) -> None:
    name = archive.name.lower()
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(dest, members=_zip_members(archive, zf))
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(dest, filter=_tar_filter(archive))
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def clean_stale(root: Path) -> list[Path]:
    """Remove ``.unpack-*`` folders in ``root`` left by unpacks whose process is gone."""
    removed = []
    for p in root.glob(f"{TMP_PREFIX}*"):
        m = _TMP_PID.match(p.name)
        pid = int(m.group(1)) if m else None
        if not p.is_dir() or p.is_symlink() or pid == os.getpid() or (pid and _alive(pid)):
            continue
        log.info("%s: removing the temporary folder of an interrupted unpack", p)
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def unpack(archive: Path, root: Path, provides: tuple[str, ...]) -> None:
    """Extract ``archive`` and move each missing ``provides`` entry to ``root/<entry>``."""
    wanted = [p for p in provides if not (root / p).exists()]
    if not wanted:
        return
    root.mkdir(parents=True, exist_ok=True)
    clean_stale(root)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f"{TMP_PREFIX}{os.getpid()}-{archive.name}."))
    try:
        _extract(archive, tmp)
        tree = [p.relative_to(tmp).parts for p in tmp.rglob("*")]
        moves = [(tmp.joinpath(*_find(tree, t, archive)), root / t) for t in wanted]
        for src, dst in moves:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
