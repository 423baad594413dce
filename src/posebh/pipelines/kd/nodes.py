"""Node of the ``kd`` pipeline: a thin wrapper around ``runs.kd.run_kd``."""

from __future__ import annotations

from posebh.pipelines.variants import sets_by_name
from posebh.runs.config import CrossSkeletonConfig, EvalConfig
from posebh.runs.kd import KDConfig, run_kd


def kd(baseline: dict, hidden_truth: dict, kd: dict, model: dict, train: dict, finetune: dict,
       data: dict, evaluation: dict, cross_skeleton: dict, **sets: dict
       ) -> tuple[dict, dict, dict, dict]:
    """(metrics, cross-skeleton instance scores, timings, KD student checkpoint); ``sets``:
    ``train_<d>`` / ``val_<d>``."""
    return run_kd(KDConfig.from_dict(kd), baseline, model, train, finetune, data,
                  sets_by_name(sets, "train"), sets_by_name(sets, "val"), hidden_truth,
                  CrossSkeletonConfig.from_dict(cross_skeleton), EvalConfig.from_dict(evaluation))
