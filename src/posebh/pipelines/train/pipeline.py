"""``train``: the scratch variants of ``pipelines/experiments.yaml`` (baseline, AIC-only), one
namespace each; ``kedro run --pipelines=train --namespaces=baseline`` runs one."""

from kedro.pipeline import Pipeline

from posebh.pipelines.variants import matrix, variants_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    return variants_pipeline([n for n, v in matrix().variants.items() if v.kind == "scratch"])
