"""Node of the ``cross_skeleton`` pipeline: a thin wrapper around ``runs.cross_skeleton``."""

from __future__ import annotations

from posebh.runs.config import CrossSkeletonConfig, EvalConfig, SampleConfig
from posebh.runs.cross_skeleton import run_cross_skeleton


def cross_skeleton(hidden_truth: dict, cross_skeleton: dict, data: dict, evaluation: dict,
                   **models: dict) -> tuple[dict, dict]:
    """({matrix, css_audit, notes}, per-instance scores of every cell); ``models``:
    ``checkpoint__<v>`` / ``prototypes__<v>``."""
    ckpts = {k.split("__", 1)[1]: v for k, v in models.items() if k.startswith("checkpoint__")}
    protos = {k.split("__", 1)[1]: v for k, v in models.items()
              if k.startswith("prototypes__") and v}
    return run_cross_skeleton(ckpts, protos, hidden_truth,
                              CrossSkeletonConfig.from_dict(cross_skeleton),
                              SampleConfig.from_data(data), EvalConfig.from_dict(evaluation))
