"""Atomic writes (``posebh.io``): usual permissions for every writer, fsync of the temp file before
the rename and of the folder after it, nothing left behind on an error."""

from __future__ import annotations

import os
import stat

import pytest

from posebh.data.real.files import write_json
from posebh.io import atomic_write


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_converted_json_gets_the_usual_permissions(tmp_path, umask_022):
    write_json(tmp_path / "coco_train.json", {"images": []})
    assert (tmp_path / "coco_train.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "coco_train.json").read_text() == '{"images": []}'
    assert os.umask(0o022) == 0o022  # reading the umask left it as it was


def test_temp_file_is_fsynced_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    calls: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        mode = os.fstat(fd).st_mode
        calls.append(("fsync", "dir" if stat.S_ISDIR(mode) else "file"))
        real_fsync(fd)

    def replace(src, dst) -> None:
        calls.append(("replace", os.path.basename(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic_write(tmp_path / "a.bin", b"abc")
    assert calls == [("fsync", "file"), ("replace", "a.bin"), ("fsync", "dir")]
    assert (tmp_path / "a.bin").read_bytes() == b"abc"


def test_an_error_while_writing_keeps_the_old_file_and_no_temp(tmp_path):
    from posebh.io import atomic_open

    (tmp_path / "a.json").write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_open(tmp_path / "a.json", "w", encoding="utf-8") as f:
            f.write("new, half")
            raise RuntimeError("boom")
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
    assert (tmp_path / "a.json").read_text() == "old"
