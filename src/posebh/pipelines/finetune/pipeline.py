"""``finetune``: the variants fine-tuned from the baseline checkpoint (the PoseBH ablation rows,
the control, UniDet), one namespace each."""

from kedro.pipeline import Pipeline

from posebh.pipelines import matrix
from posebh.pipelines.finetune_variants import finetune_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    names = [n for n, v in matrix().variants.items() if v.kind == "finetune"]
    return sum((finetune_pipeline(n) for n in names), Pipeline([]))
