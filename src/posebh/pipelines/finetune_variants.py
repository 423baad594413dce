"""Fit nodes of the variants fine-tuned from the baseline: shared by ``finetune`` and ``ablation``."""

from __future__ import annotations

from functools import cache

from kedro.pipeline import Node, Pipeline

from posebh.experiments import Variant
from posebh.pipelines import bind, matrix
from posebh.pipelines.variants import LIVE_DIR, TRAIN_SETS, sets_by_name, variant_pipeline
from posebh.runs.finetune import FinetuneRun, finetune_variant


def finetune(variant: Variant, baseline: dict, finetune: dict, method: dict, data: dict,
             **sets: dict) -> tuple[dict, list[dict], dict]:
    """Fine-tune the baseline -> (checkpoint, history, prototypes)."""
    run = FinetuneRun.resolve(variant, finetune, method, data)
    return finetune_variant(run, baseline, sets_by_name(sets, "train"), LIVE_DIR.format(variant.name))


@cache
def finetune_pipeline(name: str) -> Pipeline:
    """Fine-tune + evaluate of variant ``name`` (one Node object per variant)."""
    variant = matrix().variants[name]
    fit = Node(bind(finetune, variant),
               inputs={"baseline": "baseline.checkpoint", "finetune": "params:finetune",
                       "method": "params:method", "data": "params:data", **TRAIN_SETS},
               outputs=["checkpoint", "history", "prototypes"], name="finetune")
    return variant_pipeline(name, fit, {"params:finetune", "params:method"},
                            {"baseline.checkpoint"})
