"""Node of the ``released`` pipeline: a thin wrapper around ``posebh.runs.released``."""

from __future__ import annotations

from posebh.runs.config import EvalConfig, SampleConfig
from posebh.runs.released import evaluate_released
from posebh.zoo.released import load_manifest


def evaluate_released_weights(released: dict, data: dict, evaluation: dict,
                              **val_sets: dict) -> dict:
    """``released.json``: each model of ``released.models`` (all of the table when null)
    evaluated if its file is under ``released.root``, else marked not provided."""
    table = load_manifest()
    names = released.get("models") or list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        raise ValueError(f"released.models: {unknown} are not in posebh/zoo/released.yaml "
                         f"(known: {', '.join(table)})")
    return evaluate_released({n: table[n] for n in names}, released["root"], val_sets,
                             SampleConfig.from_data(data), EvalConfig.from_dict(evaluation))
