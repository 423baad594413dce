"""Node of the ``cape`` pipeline: a thin wrapper around ``runs.cape``."""

from __future__ import annotations

from posebh.runs.cape import CapeConfig
from posebh.runs.cape import cape_set as run_cape_set


def cape_set(cape: dict) -> dict:
    """The CAPE set's summary (categories, instances, splits); the set itself goes to ``cape.root``."""
    return run_cape_set(CapeConfig.from_dict(cape))
