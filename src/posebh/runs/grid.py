"""Paper Tables 6-8: one PoseBH fine-tune of the baseline per grid point, scored on COCO."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from posebh.experiments import GridPoint, Variant, merged
from posebh.runs.config import EvalConfig, GridConfig
from posebh.runs.evaluate import evaluate_variant
from posebh.runs.finetune import FinetuneRun, finetune_variant

log = logging.getLogger(__name__)


def grid_variant(point: GridPoint, grid: GridConfig) -> Variant:
    """The fine-tune variant of a grid point: PoseBH with the point's method value(s)."""
    return Variant(f"grid_{point.name}", "finetune", f"grid point {point.name}",
                   train=merged(dict(grid.train), point.train), method=dict(point.method))


def run_grid(baseline: dict, train_sets: Mapping[str, dict], val_sets: Mapping[str, dict],
             points: Mapping[str, GridPoint], grid: GridConfig, finetune: Mapping[str, Any],
             method: Mapping[str, Any], data: Mapping[str, Any], evaluation: EvalConfig
             ) -> dict[str, dict]:
    """Grid point name -> {table, param, value, metrics} for every point in
    ``grid.run``; a paper-table point is scored on ``grid.evaluate`` (COCO, as the paper's
    tables), a sweep point (table None) on every dataset."""
    unknown = [p for p in grid.run if p not in points]
    if unknown:
        raise ValueError(f"grid.run: unknown grid points {unknown} (see pipelines/experiments.yaml)")
    out = {}
    for name in grid.run:
        point = points[name]
        run = FinetuneRun.resolve(grid_variant(point, grid), finetune, method, data)
        ckpt, history, _ = finetune_variant(run, baseline, train_sets)
        only = grid.evaluate if point.table is not None else None
        _, metrics = evaluate_variant(ckpt, val_sets, run.sample, evaluation, only=only)
        out[name] = {"table": point.table, "param": point.param, "value": point.value,
                     "metrics": metrics}
        log.info("grid %s (%.1f s training): %s", name, sum(h["seconds"] for h in history),
                 {d: m.get("AP") for d, m in metrics.items()})
    return out

