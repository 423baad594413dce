"""The ``seeds`` node (Table 5 over seeds), shared by the ``seeds`` and ``ablation`` pipelines."""

from __future__ import annotations

from functools import cache
from typing import Any

from kedro.pipeline import Node, Pipeline

from posebh.evaluation.instances import InstanceScores, metric
from posebh.pipelines import matrix
from posebh.pipelines.variants import TRAIN_SETS, VAL_SETS, sets_by_name
from posebh.runs.config import EvalConfig, SeedsConfig
from posebh.runs.seeds import run_seeds, scores_of

BLOCKS = ("model", "train", "finetune", "method", "data")


def seeds(baseline: dict, seeds: dict, evaluation: dict, **inputs: Any) -> tuple[dict, dict]:
    """(headline metric {variant: {seed: {dataset: value}}}, instance scores, same nesting), seed 0
    from each ablation variant's own stage, the extra seeds trained here."""
    m = matrix()
    blocks = {b: inputs.pop(b) for b in BLOCKS}
    val = sets_by_name(inputs, "val")
    _, extra = run_seeds(m, SeedsConfig.from_dict(seeds), baseline, sets_by_name(inputs, "train"),
                         val, blocks, EvalConfig.from_dict(evaluation))
    scores = {v: {str(blocks["finetune" if m.variants[v].kind == "finetune" else "train"]
                      .get("seed", 0)): scores_of(inputs[f"predictions_{v}"], val),
                  **extra.get(v, {})} for v in m.ablation.variants}
    values = {v: {s: {d: round(metric(InstanceScores.from_dict(x)), 4) for d, x in by_ds.items()}
                  for s, by_ds in by_seed.items()} for v, by_seed in scores.items()}
    return values, scores


@cache
def seeds_pipeline() -> Pipeline:
    """One node (one Node object, so ``ablation`` and ``__default__`` hold it once)."""
    variants = matrix().ablation.variants
    inputs = {"baseline": "baseline.checkpoint", "seeds": "params:seeds",
              "evaluation": "params:evaluation", **{b: f"params:{b}" for b in BLOCKS},
              **TRAIN_SETS, **VAL_SETS, **{f"predictions_{v}": f"{v}.predictions" for v in variants}}
    return Pipeline([Node(seeds, inputs=inputs, outputs=["ablation_seeds", "ablation_seed_scores"],
                          name="run_seeds")])

