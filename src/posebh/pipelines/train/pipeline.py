"""``train``: one namespaced train -> evaluate pipeline per variant of ``pipelines/experiments.yaml``.

Scratch variants train on the source datasets; finetune variants start from
``baseline.checkpoint`` (PoseBH's three phases when the variant has a method).
"""

from functools import cache

from kedro.pipeline import Node, Pipeline

from posebh import skeletons
from posebh.experiments import load_matrix

from .nodes import evaluate_variant, finetune_variant, train_variant

TRAIN_INPUTS = [f"{d}_train" for d in skeletons.SOURCES]
VAL_INPUTS = [f"{d}_val" for d in skeletons.SOURCES]
SCRATCH_PARAMS = {"params:model", "params:train", "params:data", "params:evaluation"}
FINETUNE_PARAMS = {"params:finetune", "params:method", "params:data", "params:evaluation"}


def _evaluate_node(variant: str) -> Node:
    def evaluate(checkpoint, *args):
        *sets, data, evaluation = args
        return evaluate_variant(checkpoint, *sets, data=data, evaluation=evaluation)

    evaluate.__name__ = f"evaluate_{variant}"
    return Node(evaluate, inputs=["checkpoint", *VAL_INPUTS, "params:data", "params:evaluation"],
                outputs=["predictions", "metrics"], name="evaluate")


def _scratch_node(variant: str, spec: dict) -> Node:
    def train(*args):
        *sets, model, train, data = args
        return train_variant(*sets, model=model, train=train, data=data, override=spec,
                             live_dir=f"data/08_reporting/dvclive/{variant}")

    train.__name__ = f"train_{variant}"
    return Node(train, inputs=[*TRAIN_INPUTS, "params:model", "params:train", "params:data"],
                outputs=["checkpoint", "history"], name="train")


def _finetune_node(variant: str, spec: dict) -> Node:
    def finetune(baseline, *args):
        *sets, finetune, method, data = args
        return finetune_variant(baseline, *sets, finetune=finetune, method=method, data=data,
                                override=spec, live_dir=f"data/08_reporting/dvclive/{variant}")

    finetune.__name__ = f"finetune_{variant}"
    return Node(finetune, inputs=["baseline.checkpoint", *TRAIN_INPUTS, "params:finetune",
                                  "params:method", "params:data"],
                outputs=["checkpoint", "history", "prototypes"], name="train")


@cache
def variant_pipeline(variant: str) -> Pipeline:
    """The train + evaluate pipeline of one variant, under namespace ``variant``."""
    spec = load_matrix()[variant]
    make = _finetune_node if spec["kind"] == "finetune" else _scratch_node
    base = Pipeline([make(variant, spec), _evaluate_node(variant)])
    return Pipeline(base, namespace=variant,
                    inputs=set(TRAIN_INPUTS + VAL_INPUTS) | ({"baseline.checkpoint"}
                                                             if spec["kind"] == "finetune" else set()),
                    parameters=FINETUNE_PARAMS if spec["kind"] == "finetune" else SCRATCH_PARAMS)


def create_pipeline(**kwargs) -> Pipeline:
    return sum((variant_pipeline(v) for v in load_matrix()), Pipeline([]))
