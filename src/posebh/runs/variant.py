"""Train a variant from scratch on its source datasets (the ViTPose++ baseline, AIC-only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from posebh.experiments import Variant, merged
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.runs.config import SampleConfig
from posebh.runs.fit import fingerprint, fit
from posebh.training.config import TrainConfig
from posebh.training.objective import MultiHeadObjective
from posebh.zoo.checkpoint import to_checkpoint


@dataclass(frozen=True)
class ScratchRun:
    """A scratch variant's resolved configs: the profile's blocks with the variant's overrides."""

    variant: str
    model: ModelConfig
    train: TrainConfig
    sample: SampleConfig

    @classmethod
    def resolve(cls, variant: Variant, model: Mapping[str, Any], train: Mapping[str, Any],
                data: Mapping[str, Any]) -> "ScratchRun":
        return cls(variant.name, ModelConfig.from_dict(merged(dict(model), variant.model)),
                   TrainConfig.from_dict(merged(dict(train), variant.train)),
                   SampleConfig.from_data(data))


def train_variant(run: ScratchRun, train_sets: Mapping[str, dict],
                  live_dir: str | None = None) -> tuple[dict, list[dict]]:
    """Train from scratch; return (checkpoint, per-epoch history)."""
    torch.manual_seed(run.train.seed)
    net = MultiHeadPose(run.model)
    run_id = fingerprint(run.variant, net, run.train, run.sample, train_sets)
    objective = MultiHeadObjective(net, run.train.heads_on_full_batch)
    history = fit(net, train_sets, run.train, run.sample, objective, run_id, live_dir)
    return to_checkpoint(net.cpu(), train_cfg=run.train.to_dict(), fingerprint=run_id), history
