"""``ablation``: PoseBH Table 5, the variants the matrix names under ``ablation`` (the same nodes
as in ``train`` and ``finetune``)."""

from kedro.pipeline import Pipeline

from posebh.pipelines.variants import matrix, variants_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    return variants_pipeline(list(matrix().ablation.variants))
