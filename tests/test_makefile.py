"""``make check-prereqs`` (run by the install before anything is downloaded): a wrong or missing
Python, a missing C compiler or a missing git each fail with one clear line, and no venv is made."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make not installed")


def _check(*overrides: str, path: str | None = None) -> tuple[int, list[str]]:
    env = None if path is None else {"PATH": path}
    proc = subprocess.run([MAKE, "-s", "--no-print-directory", "-C", str(ROOT), "check-prereqs",
                           *overrides], capture_output=True, text=True, env=env, timeout=60,
                           check=False)
    ours = [line for line in proc.stderr.splitlines() if "prerequisite missing" in line]
    return proc.returncode, ours


def _fake_python(tmp_path: Path, version: tuple[int, int, int]) -> Path:
    """An interpreter that reports ``version`` to the Makefile's probes (``-c CODE [ARG]``)."""
    dotted = ".".join(map(str, version))
    wrapper = (f"import platform, sys; sys.version_info = {version + ('final', 0)!r}; "
               f"platform.python_version = lambda: {dotted!r}; code = sys.argv[2]; "
               "sys.argv = ['-c'] + sys.argv[3:]; exec(code)")
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\nexec '{sys.executable}' -c \"{wrapper}\" \"$@\"\n")
    fake.chmod(0o755)
    return fake


@pytest.mark.parametrize(("version", "ok"), [((3, 12, 1), False), ((3, 11, 0), False),
                                              ((3, 10, 13), False), ((3, 11, 4), True)])
def test_python_version_follows_requires_python(tmp_path: Path, version, ok: bool) -> None:
    rc, lines = _check(f"PYTHON={_fake_python(tmp_path, version)}", f"CC={sys.executable}")
    if ok:
        assert not any("requires" in line for line in lines), lines
    else:
        assert rc != 0
        assert len(lines) == 1, lines
        assert f"is Python {'.'.join(map(str, version))}" in lines[0]
        assert "requires >=3.11.4,<3.12" in lines[0]


def test_python_that_does_not_run(tmp_path: Path) -> None:
    rc, lines = _check("PYTHON=/bin/false")
    assert rc != 0 and len(lines) == 1 and "/bin/false does not run" in lines[0], lines
    rc, lines = _check(f"PYTHON={tmp_path / 'python3.11'}")
    assert rc != 0 and len(lines) == 1 and "not found" in lines[0], lines


def test_no_c_compiler() -> None:
    rc, lines = _check(f"PYTHON={sys.executable}", "CC=no-such-compiler-cc")
    assert rc != 0 and len(lines) == 1, lines
    assert "no C compiler (no-such-compiler-cc)" in lines[0]


def test_no_git(tmp_path: Path) -> None:
    (tmp_path / "sed").symlink_to(shutil.which("sed"))  # the Makefile reads pyproject with sed
    rc, lines = _check(f"PYTHON={sys.executable}", f"CC={sys.executable}", path=str(tmp_path))
    assert rc != 0 and len(lines) == 1 and "git not found" in lines[0], lines
