"""Node of the ``grid`` pipeline: fine-tune PoseBH once per grid point, evaluate COCO."""

from __future__ import annotations

import logging

from posebh.experiments import load_grids
from posebh.pipelines.train.nodes import evaluate_variant, finetune_variant

log = logging.getLogger(__name__)


def run_grid(baseline: dict, *args) -> dict:
    """Grid point name -> {table, param, value, metrics} for every point in ``grid.run``.

    args: the six source train sets, the six val sets, then params grid, finetune, method,
    data, evaluation. Points are PoseBH fine-tunes of the baseline with one value changed;
    only the dataset of the paper's grid tables (``grid.evaluate``, COCO) is evaluated.
    """
    *sets, grid, finetune, method, data, evaluation = args
    train_sets, val_sets = sets[:6], sets[6:]
    points = load_grids()
    unknown = [p for p in grid["run"] if p not in points]
    if unknown:
        raise ValueError(f"grid.run: unknown grid points {unknown} (see pipelines/experiments.yaml)")
    out = {}
    for name in grid["run"]:
        spec = points[name]
        override = {"method": spec.get("method", {}), "train": grid.get("train", {})}
        ckpt, history, _ = finetune_variant(baseline, *train_sets, finetune=finetune, method=method,
                                            data=data, override=override)
        _, metrics = evaluate_variant(ckpt, *val_sets, data=data, evaluation=evaluation,
                                      only=tuple(grid["evaluate"]))
        out[name] = {"table": spec["table"], "param": spec["param"], "value": spec["value"],
                     "metrics": metrics, "train_seconds": round(sum(h["seconds"] for h in history), 2)}
        log.info("grid %s: %s", name, {d: m.get("AP") for d, m in metrics.items()})
    return out
