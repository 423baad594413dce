"""``ablation``: the training variants flagged ``ablation: true`` in ``pipelines/experiments.yaml``
(PoseBH Table 5), composed from the ``train`` pipeline's namespaced copies."""

from kedro.pipeline import Pipeline

from posebh.experiments import load_matrix
from posebh.pipelines.train.pipeline import variant_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    variants = [v for v, spec in load_matrix().items() if spec.get("ablation")]
    return sum((variant_pipeline(v) for v in variants), Pipeline([]))
