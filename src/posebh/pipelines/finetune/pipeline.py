"""``finetune``: the variants fine-tuned from the baseline checkpoint (the PoseBH ablation rows,
the control, UniDet), one namespace each."""

from kedro.pipeline import Pipeline

from posebh.pipelines.variants import matrix, variants_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    return variants_pipeline([n for n, v in matrix().variants.items() if v.kind == "finetune"])
