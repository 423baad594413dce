"""``train``: one namespaced copy of train -> evaluate per variant of ``pipelines/experiments.yaml``."""

from functools import cache

from kedro.pipeline import Node, Pipeline

from posebh import skeletons
from posebh.experiments import load_matrix

from .nodes import evaluate_variant, train_variant

SHARED_PARAMS = {"params:model", "params:train", "params:data", "params:evaluation"}




@cache
def variant_pipeline(variant: str) -> Pipeline:
    """The train + evaluate pipeline of one variant, under namespace ``variant``."""
    spec = load_matrix()[variant]
    train_inputs = [f"{d}_train" for d in skeletons.SOURCES]
    val_inputs = [f"{d}_val" for d in skeletons.SOURCES]

    def train_node(*args):
        *sets, model, train, data = args
        return train_variant(*sets, model=model, train=train, data=data, override=spec,
                             live_dir=f"data/08_reporting/dvclive/{variant}")

    def eval_node(*args):
        checkpoint, *sets, data, evaluation = args
        return evaluate_variant(checkpoint, *sets, data=data, evaluation=evaluation)

    train_node.__name__ = f"train_{variant}"
    eval_node.__name__ = f"evaluate_{variant}"
    base = Pipeline([
        Node(train_node, inputs=[*train_inputs, "params:model", "params:train", "params:data"],
             outputs=["checkpoint", "history"], name="train"),
        Node(eval_node, inputs=["checkpoint", *val_inputs, "params:data", "params:evaluation"],
             outputs=["predictions", "metrics"], name="evaluate"),
    ])
    return Pipeline(base, namespace=variant, inputs=set(train_inputs + val_inputs),
                    parameters=SHARED_PARAMS)


def create_pipeline(**kwargs) -> Pipeline:
    return sum((variant_pipeline(v) for v in load_matrix()), Pipeline([]))
