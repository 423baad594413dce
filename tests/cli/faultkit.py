"""Issue #13 E: fault injection over every CLI subcommand and every converter; the row record and
the check each test_faults_<cli>.py runs over its table (importable from tests/cli/: pytest puts a
test file's folder on sys.path).

Each row writes one bad input under ``tmp_path``, runs the command in-process (``posebh`` =
``posebh.commands.main``, ``real`` = ``python -m posebh.data.real``'s ``main``) and checks: exit
code 2, stdout empty, stderr exactly one line ``error: ...`` containing the expected fragment,
and the output path untouched (absent, or its old content unchanged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import rawfixtures as rf

from posebh.commands import main as posebh_main
from posebh.data.real.__main__ import main as real_main

Setup = Callable[[Path], tuple[list[str], "Path | None"]]


@dataclass(frozen=True)
class Fault:
    id: str
    cli: str  # "posebh" or "real"
    setup: Setup  # writes the bad input; returns argv and the output path that must not change
    expect: str  # fragment of the one stderr line
    code: int = field(default=2)


def set_at(*keys: Any, value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        for k in keys[:-1]:
            data = data[k]
        data[keys[-1]] = value
    return change


def eval_gt(k: int = 17) -> dict:
    images, anns = [], []
    for i in (1, 2):
        images.append({"id": i, "file_name": f"{i}.jpg", "width": 640, "height": 480})
        for j in range(2):
            box = (50.0 + 300 * j, 60.0, 200.0, 300.0)
            anns.append({"id": 10 * i + j, "image_id": i, "category_id": 1,
                         "keypoints": rf.kps(k, box), "num_keypoints": k, "bbox": list(box),
                         "area": 60000.0, "iscrowd": 0})
    return {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "person"}]}


def eval_pred(gt: dict) -> list[dict]:
    return [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"],
             "score": 0.9} for a in gt["annotations"]]


def snapshot(path: Path | None) -> Any:
    """Everything under ``path`` (file bytes by relative name), or None when it does not exist."""
    if path is None or not (path.exists() or path.is_symlink()):
        return None
    if path.is_file():
        return path.read_bytes()
    return {str(p.relative_to(path)): (p.read_bytes() if p.is_file() else "dir")
            for p in sorted(path.rglob("*"))}


def run_fault(row: Fault, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Run one row and check the one-line refusal that leaves the output untouched."""
    argv, out = row.setup(tmp_path)
    before = snapshot(out)
    capsys.readouterr()
    entry = posebh_main if row.cli == "posebh" else real_main
    rc = entry(argv)
    cap = capsys.readouterr()
    assert rc == row.code, (cap.out, cap.err)
    lines = cap.err.splitlines()
    assert len(lines) == 1, cap.err
    assert lines[0].startswith("error: ") and row.expect in lines[0], lines[0]
    if row.id != "real-fetch-missing-files":  # that one lists where to get each file on stdout
        assert cap.out == "", cap.out
    assert snapshot(out) == before  # nothing written, old output unchanged
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob(".*.old"))
