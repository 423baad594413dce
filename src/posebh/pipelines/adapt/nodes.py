"""Nodes of the ``adapt`` pipeline: the adaptation recipes on the transfer targets (#16)."""

from __future__ import annotations

from posebh.runs.adapt import AdaptConfig, adapt
from posebh.runs.config import EvalConfig, SampleConfig, TransferConfig


def adapt_recipes(baseline: dict, posebh: dict, adapt_params: dict, transfer_params: dict,
                  method: dict, data: dict, evaluation: dict, **sets: dict) -> tuple[dict, dict]:
    """Every recipe x init of ``adapt`` on each target -> (metrics, training wall times).

    ``sets``: ``<target>_train`` / ``<target>_val`` -> COCO dict, for every transfer target.
    """
    params = AdaptConfig.from_dict(adapt_params)
    pairs = {t: (sets[f"{t}_train"], sets[f"{t}_val"]) for t in params.targets}
    return adapt({"baseline": baseline, "posebh": posebh}, pairs,
                 TransferConfig.from_dict(transfer_params), params, method,
                 SampleConfig.from_data(data), EvalConfig.from_dict(evaluation))
