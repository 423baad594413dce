"""``ablation``: PoseBH Table 5, the variants the matrix names under ``ablation`` (the same nodes
as in ``train`` and ``finetune``, so ``__default__`` holds each once)."""

from kedro.pipeline import Pipeline

from posebh.pipelines import matrix
from posebh.pipelines.finetune_variants import finetune_pipeline
from posebh.pipelines.scratch_variants import scratch_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    m = matrix()
    build = {"scratch": scratch_pipeline, "finetune": finetune_pipeline}
    return sum((build[m.variants[n].kind](n) for n in m.ablation.variants), Pipeline([]))
