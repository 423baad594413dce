"""Node of the ``grid`` pipeline: one PoseBH fine-tune per grid point the profile runs."""

from __future__ import annotations

from posebh.pipelines import matrix
from posebh.pipelines.variants import sets_by_name
from posebh.runs.config import EvalConfig, GridConfig
from posebh.runs.grid import run_grid


def grid(baseline: dict, grid: dict, finetune: dict, method: dict, data: dict, evaluation: dict,
         **sets: dict) -> dict:
    """Grid point -> {table, param, value, metrics}."""
    return run_grid(baseline, sets_by_name(sets, "train"), sets_by_name(sets, "val"),
                    matrix().grids, GridConfig.from_dict(grid), finetune, method, data,
                    EvalConfig.from_dict(evaluation))
