"""``kd``: teachers, the KD student and its α = 1 ablation, from the baseline checkpoint."""

from kedro.pipeline import Node, Pipeline

from posebh.pipelines.variants import TRAIN_SETS, VAL_SETS

from .nodes import kd

OUTPUTS = ["kd_metrics", "kd_cross_skeleton_scores", "kd_timings", "kd_student_checkpoint"]


def create_pipeline(**kwargs) -> Pipeline:
    params = ("kd", "model", "train", "finetune", "data", "evaluation", "cross_skeleton")
    return Pipeline([
        Node(kd, inputs={"baseline": "baseline.checkpoint", "hidden_truth": "hidden_truth",
                         **{p: f"params:{p}" for p in params}, **TRAIN_SETS, **VAL_SETS},
             outputs=OUTPUTS, name="kd")
    ])
