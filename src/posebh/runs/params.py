"""Check every parameter block of a profile before anything runs (one-line error, nothing written)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posebh.experiments import merged
from posebh.method.config import MethodConfig
from posebh.models.config import ModelConfig
from posebh.runs.config import (
    AdaptConfig,
    CrossSkeletonConfig,
    EvalConfig,
    GridConfig,
    SampleConfig,
    SeedsConfig,
    TransferConfig,
)
from posebh.training.config import TrainConfig


def check_params(params: Mapping[str, Any]) -> None:
    """Parse each block a run reads; raises ``ConfigError`` naming the first bad parameter."""
    if "model" in params:
        ModelConfig.from_dict(params["model"])
    if "train" in params:
        TrainConfig.from_dict(params["train"])
    if "finetune" in params:
        TrainConfig.from_dict(params["finetune"], "finetune")
    if "method" in params:
        MethodConfig.from_dict(params["method"])
    if "evaluation" in params:
        EvalConfig.from_dict(params["evaluation"])
    if "grid" in params:
        GridConfig.from_dict(params["grid"])
    if "seeds" in params:
        SeedsConfig.from_dict(params["seeds"])
    if "cross_skeleton" in params:
        CrossSkeletonConfig.from_dict(params["cross_skeleton"])
    if "adapt" in params:
        AdaptConfig.from_dict(params["adapt"])
    if "data" in params:
        SampleConfig.from_data(params["data"])
    if "transfer" in params:
        transfer = TransferConfig.from_dict(params["transfer"])
        TrainConfig.from_dict(transfer.train, "transfer.train")
        for target, override in transfer.per_target.items():
            TrainConfig.from_dict(merged(transfer.train, override), f"transfer.per_target.{target}")
