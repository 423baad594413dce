"""``released``: the released weights as report rows (Tables 1-3: paper | released | trained)."""

from kedro.pipeline import Node, Pipeline

from posebh import skeletons

from .nodes import evaluate_released_weights


def create_pipeline(**kwargs) -> Pipeline:
    inputs = {"released": "params:released", "data": "params:data",
              "evaluation": "params:evaluation"}
    inputs |= {d: f"{d}_val" for d in skeletons.SOURCES}
    return Pipeline([Node(evaluate_released_weights, inputs=inputs, outputs="released_metrics",
                          name="evaluate_released_weights")])
