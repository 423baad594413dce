"""``grid``: one node looping over the grid points a profile runs (``params:grid``)."""

from kedro.pipeline import Node, Pipeline

from posebh.pipelines.train.pipeline import TRAIN_INPUTS, VAL_INPUTS

from .nodes import run_grid


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([
        Node(run_grid, inputs=["baseline.checkpoint", *TRAIN_INPUTS, *VAL_INPUTS, "params:grid",
                               "params:finetune", "params:method", "params:data",
                               "params:evaluation"],
             outputs="grid_metrics", name="run_grid")
    ])
