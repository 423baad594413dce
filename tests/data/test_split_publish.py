"""Issue #13 D: ``posebh split-apt36k`` publishes its three files together or not at all, refuses
bad output paths with one line (exit 2), and refuses records the split would silently misuse."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import rawfixtures as rf

from posebh.commands import main

NAMES = ("apt36k_train.json", "apt36k_val.json", "apt36k_test.json")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def _raw(tmp: Path, raw: dict | None = None) -> Path:
    return rf.dump(tmp / "apt36k_annotations.json", raw if raw is not None else rf.apt36k_raw())


def _old_outputs(out: Path) -> dict[str, bytes]:
    out.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        (out / name).write_text(json.dumps({"old": name}))
    return _snapshot(out)


def _refused(capsys, rc: int, *fragments: str) -> None:
    cap = capsys.readouterr()
    assert rc == 2, cap
    lines = cap.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), cap.err
    for frag in fragments:
        assert frag in lines[0], lines[0]


def test_a_failed_rename_mid_way_leaves_the_old_files(tmp_path: Path, capsys, monkeypatch) -> None:
    raw, out = _raw(tmp_path), tmp_path / "out"
    before = _old_outputs(out)
    real_replace = os.replace
    calls = []

    def flaky(src, dst, *a, **k):  # the second file cannot be published
        calls.append(str(dst))
        if str(dst).endswith("apt36k_val.json") and str(src).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", flaky)
    _refused(capsys, main(["split-apt36k", str(raw), str(out)]), "cannot write the split files",
             "No space left on device", "no file was changed")
    assert any(c.endswith("apt36k_train.json") for c in calls)  # train had been replaced ...
    assert _snapshot(out) == before  # ... and was restored; no temp file is left behind


def test_a_good_split_replaces_all_three(tmp_path: Path, capsys) -> None:
    raw, out = _raw(tmp_path), tmp_path / "out"
    before = _old_outputs(out)
    assert main(["split-apt36k", str(raw), str(out)]) == 0
    after = _snapshot(out)
    assert sorted(after) == sorted(NAMES) and all(after[n] != before[n] for n in NAMES)
    videos = [{i["video_id"] for i in json.loads(after[n])["images"]} for n in NAMES]
    assert not (videos[0] & videos[1] or videos[0] & videos[2] or videos[1] & videos[2])
    assert "train" in capsys.readouterr().out


def test_many_file_publish_restores_on_failure(tmp_path: Path, monkeypatch) -> None:
    from posebh.io import atomic_write_many

    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "sub" / "c.json"
    a.write_text("old a")
    real_replace = os.replace

    def flaky(src, dst, *args, **kw):
        if str(dst) == str(c) and str(src).endswith(".tmp"):
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst, *args, **kw)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(PermissionError):
        atomic_write_many({a: b"new a", b: b"new b", c: b"new c"})
    assert a.read_text() == "old a" and not b.exists() and not c.exists()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.json"]
    monkeypatch.setattr(os, "replace", real_replace)
    atomic_write_many({a: b"new a", b: b"new b", c: b"new c"})
    assert (a.read_text(), b.read_text(), c.read_text()) == ("new a", "new b", "new c")


def test_output_that_is_a_file_is_one_line(tmp_path: Path, capsys) -> None:
    raw = _raw(tmp_path)
    blocker = tmp_path / "blocker"
    blocker.write_text("keep")
    _refused(capsys, main(["split-apt36k", str(raw), str(blocker)]), "exists and is not a directory")
    _refused(capsys, main(["split-apt36k", str(raw), str(blocker / "out")]),
             f"{blocker} is not a directory")
    assert blocker.read_text() == "keep"


def test_unwritable_output_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    raw, out = _raw(tmp_path), tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(os, "access", lambda *a, **k: False)  # as a non-root user on a 0555 dir
    _refused(capsys, main(["split-apt36k", str(raw), str(out)]), "is not writable")
    assert _snapshot(out) == {}


@pytest.mark.parametrize("where, value, fragment", [
    (("images", 0, "video_id"), None, "video_id None is not an integer or string id"),
    (("images", 1, "id"), 1, "image id 1 appears twice"),
    (("images", 0, "file_name"), "..\\..\\..\\img0001.png", "leaves the image folder"),
    (("images", 0, "file_name"), "D:\\x\\..\\..\\img0001.png", "leaves the image folder"),
    (("annotations", 0, "is_crowd"), "yes", "iscrowd 'yes' is not 0 or 1"),
    (("annotations", 0, "image_id"), [1], "image_id [1] is not an integer or string id"),
])
def test_bad_records_are_refused(tmp_path: Path, capsys, where: tuple, value, fragment: str) -> None:
    raw = rf.apt36k_raw()
    target = raw
    for k in where[:-1]:
        target = target[k]
    target[where[-1]] = value
    path, out = _raw(tmp_path, raw), tmp_path / "out"
    before = _old_outputs(out)
    _refused(capsys, main(["split-apt36k", str(path), str(out)]), str(path), fragment)
    assert _snapshot(out) == before
