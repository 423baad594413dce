"""Nodes of the ``transfer`` pipeline: fine-tune on the hand-21 / SMPL-24 domains (Tables 4, 12)."""

from __future__ import annotations

from posebh.runs.config import EvalConfig, SampleConfig, TransferConfig
from posebh.runs.transfer import transfer


def transfer_to(target: str, baseline: dict, aic: dict, posebh: dict, train_set: dict,
                val_set: dict, transfer_params: dict, method: dict, data: dict,
                evaluation: dict) -> tuple[dict, dict]:
    """Every init of ``transfer.inits`` on ``target`` -> (metrics per init, target prototypes)."""
    return transfer(target, {"baseline": baseline, "aic": aic, "posebh": posebh}, train_set,
                    val_set, TransferConfig.from_dict(transfer_params), method,
                    SampleConfig.from_data(data), EvalConfig.from_dict(evaluation))
