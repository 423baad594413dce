"""``train``: the scratch variants of ``pipelines/experiments.yaml`` (baseline, AIC-only), one
namespace each; ``kedro run --pipelines=train --namespaces=baseline`` runs one."""

from kedro.pipeline import Pipeline

from posebh.pipelines import matrix
from posebh.pipelines.scratch_variants import scratch_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    names = [n for n, v in matrix().variants.items() if v.kind == "scratch"]
    return sum((scratch_pipeline(n) for n in names), Pipeline([]))
