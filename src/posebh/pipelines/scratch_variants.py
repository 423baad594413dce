"""Fit nodes of the scratch variants (baseline, AIC-only): shared by ``train`` and ``ablation``."""

from __future__ import annotations

from functools import cache

from kedro.pipeline import Node, Pipeline

from posebh.experiments import Variant
from posebh.pipelines import bind, matrix
from posebh.pipelines.variants import LIVE_DIR, TRAIN_SETS, sets_by_name, variant_pipeline
from posebh.runs.variant import ScratchRun, train_variant


def train(variant: Variant, model: dict, train: dict, data: dict,
          **sets: dict) -> tuple[dict, list[dict]]:
    """Train a scratch variant -> (checkpoint, history)."""
    run = ScratchRun.resolve(variant, model, train, data)
    return train_variant(run, sets_by_name(sets, "train"), LIVE_DIR.format(variant.name))


@cache
def scratch_pipeline(name: str) -> Pipeline:
    """Train + evaluate of scratch variant ``name`` (one Node object per variant)."""
    variant = matrix().variants[name]
    fit = Node(bind(train, variant),
               inputs={"model": "params:model", "train": "params:train", "data": "params:data",
                       **TRAIN_SETS},
               outputs=["checkpoint", "history"], name="train")
    return variant_pipeline(name, fit, {"params:model", "params:train"})
