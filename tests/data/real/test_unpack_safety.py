"""Unpacking refuses archives with links (tar symlinks/hardlinks, zip symlink entries) with a
one-line ``DataError`` naming the archive and the member, placing nothing; temporary folders of
killed unpacks are cleaned up by the next one."""

from __future__ import annotations

import io
import logging
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from posebh.data.errors import DataError
from posebh.data.real.unpack import unpack


def _tar(path: Path, links: list[tarfile.TarInfo]) -> Path:
    with tarfile.open(path, "w") as tf:
        for name, data in (("top/a/b/data.json", b"{}"), ("top/a/file.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for info in links:
            tf.addfile(info)
    return path


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def _refused(err: pytest.ExceptionInfo, archive: Path, member: str, root: Path) -> None:
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{archive}: member {member!r} is a "), msg
    assert "links are refused" in msg
    assert [p.name for p in root.iterdir()] == []  # nothing placed, no temp folder left


@pytest.mark.parametrize("link, kind", [
    (_link("top/a/b/link", "../../x"), "symbolic link"),  # fine in the temp folder, not moved up
    (_link("top/a/b/abs", "/etc/passwd"), "symbolic link"),
    (_link("top/a/b/hard", "top/a/file.txt", tarfile.LNKTYPE), "hard link"),
])
def test_tar_with_a_link_is_refused(tmp_path, link, kind):
    archive = _tar(tmp_path / "x.tar", [link])
    root = tmp_path / "raw"
    root.mkdir()
    with pytest.raises(DataError) as err:
        unpack(archive, root, ("b",))
    _refused(err, archive, link.name, root)
    assert kind in str(err.value)
    assert not (tmp_path / "x").exists()


def test_zip_with_a_symlink_entry_is_refused(tmp_path):
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("top/a/b/data.json", b"{}")
        info = zipfile.ZipInfo("top/a/b/link")
        info.create_system = 3  # unix
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, b"../../x")
    root = tmp_path / "raw"
    root.mkdir()
    with pytest.raises(DataError) as err:
        unpack(archive, root, ("b",))
    _refused(err, archive, "top/a/b/link", root)


def test_a_plain_tar_still_unpacks(tmp_path):
    archive = _tar(tmp_path / "x.tar", [])
    unpack(archive, tmp_path / "raw", ("b/data.json",))
    assert (tmp_path / "raw/b/data.json").read_bytes() == b"{}"


def test_temp_folders_of_killed_unpacks_are_removed(tmp_path, caplog):
    root = tmp_path / "raw"
    dead = root / ".unpack-999999999-x.tar.abc123"  # above any pid_max: that process is gone
    legacy = root / ".unpack-x.tar.def456"  # the old name, without a pid
    live = root / f".unpack-{os.getppid()}-x.tar.ghi789"  # a running process's unpack: kept
    for d in (dead, legacy, live):
        (d / "top").mkdir(parents=True)
    archive = _tar(tmp_path / "x.tar", [])
    with caplog.at_level(logging.INFO, logger="posebh.data.real.unpack"):
        unpack(archive, root, ("b/data.json",))
    assert not dead.exists() and not legacy.exists() and live.exists()
    assert sorted(p.name for p in root.iterdir()) == sorted(["b", live.name])
    assert f"{dead}: removing the temporary folder of an interrupted unpack" in caplog.text
