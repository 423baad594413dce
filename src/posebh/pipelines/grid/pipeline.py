"""``grid``: the hyper-parameter grids of PoseBH Tables 6-8 (COCO AP per grid point)."""

from kedro.pipeline import Node, Pipeline

from posebh.pipelines.variants import TRAIN_SETS, VAL_SETS

from .nodes import grid


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([
        Node(grid, inputs={"baseline": "baseline.checkpoint", "grid": "params:grid",
                           "finetune": "params:finetune", "method": "params:method",
                           "data": "params:data", "evaluation": "params:evaluation",
                           **TRAIN_SETS, **VAL_SETS},
             outputs="grid_metrics", name="run_grid")
    ])
