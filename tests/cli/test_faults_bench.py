"""Fault rows of ``posebh bench`` / ``bench-method`` and of the bare ``posebh`` command line (see
faultkit.py for what each row checks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from faultkit import Fault, run_fault
from support import ROOT


def cmd(fid: str, argv: Callable[[Path], list[str]], expect: str, out: str | None = "result.json",
        prepare: Callable[[Path], None] | None = None) -> Fault:
    def setup(tmp: Path) -> tuple[list[str], Path | None]:
        if prepare is not None:
            prepare(tmp)
        return argv(tmp), (tmp / out if out else None)
    return Fault(fid, "posebh", setup, expect)


def _broken_conf(tmp: Path) -> None:
    for profile in ("base", "paper"):
        (tmp / "conf" / profile).mkdir(parents=True)
        (tmp / "conf" / profile / "parameters_train.yml").write_text("model: [unclosed\n")
        (tmp / "conf" / profile / "parameters_method.yml").write_text("method: {}\n")


BENCH = [
    cmd("bench-instances-0", lambda t: ["bench", "--instances", "0", "--out", str(t / "result.json")],
        "--instances and --repeats must be >= 1"),
    cmd("bench-repeats-negative", lambda t: ["bench", "--repeats", "-1", "--out", str(t / "result.json")],
        "--instances and --repeats must be >= 1"),
    cmd("bench-instances-text", lambda t: ["bench", "--instances", "many", "--out", str(t / "result.json")],
        "invalid int value: 'many'"),
    cmd("bench-out-is-dir", lambda t: ["bench", "--instances", "1", "--out", str(t / "result.json")],
        "is a directory", prepare=lambda t: (t / "result.json").mkdir()),
    cmd("bench-out-under-file", lambda t: ["bench", "--instances", "1", "--out", str(t / "f" / "r.json")],
        "is not a directory", out="f", prepare=lambda t: (t / "f").write_text("x")),
    cmd("bench-unknown-option", lambda t: ["bench", "--fast"], "unrecognized arguments: --fast", out=None),
    cmd("bench-method-steps-0", lambda t: ["bench-method", "--steps", "0", "--out", str(t / "result.json")],
        "--steps, --batch-embedded and --batch-vitb must be >= 1"),
    cmd("bench-method-batch-0", lambda t: ["bench-method", "--batch-vitb", "0", "--out",
                                           str(t / "result.json")], "must be >= 1"),
    cmd("bench-method-conf-missing", lambda t: ["bench-method", "--conf", str(t / "noconf"), "--out",
                                                str(t / "result.json")], "cannot read the model/method parameters"),
    cmd("bench-method-conf-broken", lambda t: ["bench-method", "--conf", str(t / "conf"), "--out",
                                               str(t / "result.json")], "cannot read the model/method parameters",
        prepare=_broken_conf),
    cmd("bench-method-out-is-dir", lambda t: ["bench-method", "--conf", str(ROOT / "conf"), "--out",
                                              str(t / "result.json")], "is a directory",
        prepare=lambda t: (t / "result.json").mkdir()),
    cmd("no-subcommand", lambda t: [], "the following arguments are required: command", out=None),
    cmd("unknown-subcommand", lambda t: ["train"], "invalid choice: 'train'", out=None),
]


@pytest.mark.parametrize("row", BENCH, ids=[r.id for r in BENCH])
def test_fault(tmp_path: Path, capsys, row: Fault) -> None:
    run_fault(row, tmp_path, capsys)
