"""``posebh --version`` and every subcommand's ``--help``: its defaults and one usage example."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest
from support import ROOT

from posebh import cli_help
from posebh.commands import build_parser, main

SUBCOMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)


def test_version(capsys) -> None:
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == f"posebh {metadata.version('posebh')}"


def test_python_dash_m_is_the_posebh_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "posebh", "--version"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("posebh ")


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_help_has_an_example(capsys, command: str) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"example:\n  {cli_help.EXAMPLES[command]}" in out
    assert cli_help.EXAMPLES[command].split()[:2] == ["posebh", command]


def test_help_shows_defaults_but_not_for_required_or_flags(capsys) -> None:
    assert main(["evaluate", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "(default: hotcoco)" in out
    assert "(default: None)" not in out and "(default: False)" not in out
    assert main(["split-apt36k", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: official)" in out and "(default: 0)" in out


def test_bad_input_is_still_one_line(capsys) -> None:
    assert main(["bench", "--repeats", "x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: posebh bench:"), err
