"""Shared command-line plumbing: one-line errors and exit code 2 on bad input.

``OneLineParser`` turns argparse's usage dump into ``BadInput``; ``fail`` prints
``error: <first line>`` on stderr and returns ``EXIT_BAD_INPUT``; ``check_output_file`` /
``check_output_dir`` refuse output paths that cannot be written before any work is done.
Used by ``posebh`` (``posebh.commands``) and ``python -m posebh.data.real``. No Kedro.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """A one-line problem with a command's input; the entry point prints it and exits with 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are ``BadInput`` (one line, no usage dump) instead of exit(2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise BadInput(f"{self.prog}: {message}")


def fail(message: str) -> int:
    """Print ``error: <first line of message>`` on stderr; return the bad-input exit code."""
    first = message.splitlines()[0] if message.strip() else "bad input"
    print(f"error: {first}", file=sys.stderr)
    return EXIT_BAD_INPUT


def check_output_file(path: Path) -> None:
    """Raise ``BadInput`` unless ``path`` can become a file (not a folder, under a folder)."""
    if path.is_dir():
        raise BadInput(f"{path}: is a directory, expected a file path")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise BadInput(f"{path}: cannot create it, {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadInput(f"{path}: cannot create it, {parent} is not writable")


def check_output_dir(path: Path) -> None:
    """Raise ``BadInput`` unless ``path`` is, or can become, a writable folder."""
    if path.exists() and not path.is_dir():
        raise BadInput(f"{path}: exists and is not a directory")
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            raise BadInput(f"{path}: folder is not writable")
    else:
        check_output_file(path)
