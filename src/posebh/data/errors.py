"""One error type for bad data files: ``str(err)`` is ``<file>: <problem>`` on one line."""

from __future__ import annotations

from pathlib import Path


class DataError(ValueError):
    """A data file is missing, malformed or inconsistent; names the file and the problem."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
