"""``cape``: write the CAPE set (issue #16), then score the few-shot matchers on it."""

from kedro.pipeline import Node, Pipeline

from .nodes import cape_matchers, cape_set


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([
        Node(cape_set, inputs={"cape": "params:cape"}, outputs="cape_summary", name="cape_set"),
        Node(cape_matchers, inputs={"baseline": "baseline.checkpoint",
                                    "posebh": "posebh.checkpoint", "cape": "params:cape",
                                    "cape_evaluation": "params:cape_evaluation",
                                    "summary": "cape_summary"},
             outputs=["cape_metrics", "cape_scores"], name="cape_matchers"),
    ])
