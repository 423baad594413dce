"""Nodes of the ``cape`` pipeline: thin wrappers around ``runs.cape`` and ``runs.cape_eval``."""

from __future__ import annotations

from posebh.runs.cape import CapeConfig
from posebh.runs.cape import cape_set as run_cape_set
from posebh.runs.cape_eval import CapeEvalConfig, cape_evaluate


def cape_set(cape: dict) -> dict:
    """The CAPE set's summary (categories, instances, splits); the set itself goes to ``cape.root``."""
    return run_cape_set(CapeConfig.from_dict(cape))


def cape_matchers(baseline: dict, posebh: dict, cape: dict, cape_evaluation: dict,
                  summary: dict) -> tuple[dict, dict]:
    """(cape_metrics, cape_scores) of the matchers on the set; ``summary`` orders it after cape_set."""
    where = CapeConfig.from_dict(cape)
    root = where.mp100_root or where.root
    return cape_evaluate({"baseline": baseline, "posebh": posebh}, root,
                         CapeEvalConfig.from_dict(cape_evaluation))
