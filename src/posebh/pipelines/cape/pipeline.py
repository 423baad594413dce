"""``cape``: write the CAPE set (issue #16); the evaluation node comes later."""

from kedro.pipeline import Node, Pipeline

from .nodes import cape_set


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([Node(cape_set, inputs={"cape": "params:cape"}, outputs="cape_summary",
                          name="cape_set")])
