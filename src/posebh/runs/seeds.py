"""The ablation (Table 5) over seeds: each ablation variant re-run with every extra seed.

Seed s sets ``train.seed`` (initialisation: a scratch model's weights, a fine-tune's new modules;
the data order) and the sample seed (each sample's augmentation); the data stay fixed. Seed 0 is
each variant's own stage. With ``baseline: shared`` every seed's
fine-tunes start from the one baseline checkpoint of the ``train`` stage (the paired comparisons of
Table 5 are between fine-tunes of that baseline, and retraining it per seed costs the most); with
``per_seed`` each seed first retrains the baseline with that seed (the study profile).
Per-instance scores (:mod:`posebh.evaluation.instances`) are kept for every seed, so the report
can bootstrap over validation images without the predictions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from posebh.evaluation.instances import instance_scores
from posebh.experiments import Matrix, Variant, merged
from posebh.runs.config import EvalConfig, SeedsConfig
from posebh.runs.evaluate import evaluate_variant
from posebh.runs.finetune import FinetuneRun, finetune_variant
from posebh.runs.variant import ScratchRun, train_variant

log = logging.getLogger(__name__)


def seeded(variant: Variant, seed: int) -> Variant:
    """``variant`` with its train block's seed set (its name says the seed)."""
    return replace(variant, name=f"{variant.name}_s{seed}", train=merged(variant.train, {"seed": seed}))


def scores_of(predictions: Mapping[str, list], val_sets: Mapping[str, dict]) -> dict[str, dict]:
    """dataset -> instance scores (as dicts) of one model's predictions."""
    return {d: instance_scores(val_sets[d], res, d).to_dict() for d, res in predictions.items()}


def run_seeds(matrix: Matrix, cfg: SeedsConfig, baseline: dict, train_sets: Mapping[str, dict],
              val_sets: Mapping[str, dict], blocks: Mapping[str, Mapping[str, Any]],
              evaluation: EvalConfig) -> tuple[dict, dict]:
    """Train and evaluate every ablation variant with each extra seed.

    ``blocks``: the profile's parameter blocks (model, train, finetune, method, data).
    Returns (metrics {variant: {seed: {dataset: metrics}}}, scores {variant: {seed: {dataset:
    instance scores}}}) for the extra seeds only.
    """
    ab = matrix.ablation
    metrics: dict[str, dict] = {}
    scores: dict[str, dict] = {}
    for seed in cfg.extra:
        start = baseline
        data = merged(dict(blocks["data"]), {"seed": seed})  # the augmentation stream's seed
        for name in ab.variants:
            variant = seeded(matrix.variants[name], seed)
            if variant.kind == "scratch":
                if name != ab.baseline or cfg.baseline == "shared":
                    continue  # the shared baseline has its own stage's seed only
                run = ScratchRun.resolve(variant, blocks["model"], blocks["train"], data)
                ckpt, _ = train_variant(run, train_sets)
                sample = run.sample
                start = ckpt
            else:
                frun = FinetuneRun.resolve(variant, blocks["finetune"], blocks["method"], data)
                ckpt, _, _ = finetune_variant(frun, start, train_sets)
                sample = frun.sample
            preds, m = evaluate_variant(ckpt, val_sets, sample, evaluation)
            metrics.setdefault(name, {})[str(seed)] = m
            scores.setdefault(name, {})[str(seed)] = scores_of(preds, val_sets)
            log.info("seed %d %s: %s", seed, name, {d: x.get("AP", x.get("PCKh")) for d, x in m.items()})
    return metrics, scores
