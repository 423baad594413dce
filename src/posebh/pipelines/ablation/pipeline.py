"""``ablation``: PoseBH Table 5, the variants the matrix names under ``ablation`` and their extra
seeds (the same nodes as in ``train``, ``finetune`` and ``seeds``, so ``__default__`` holds each
once)."""

from kedro.pipeline import Pipeline

from posebh.pipelines import matrix
from posebh.pipelines.finetune_variants import finetune_pipeline
from posebh.pipelines.scratch_variants import scratch_pipeline
from posebh.pipelines.seed_runs import seeds_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    m = matrix()
    build = {"scratch": scratch_pipeline, "finetune": finetune_pipeline}
    return sum((build[m.variants[n].kind](n) for n in m.ablation.variants), seeds_pipeline())
