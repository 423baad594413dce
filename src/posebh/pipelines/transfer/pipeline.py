"""``transfer``: fine-tune on each transfer domain (hand 21, SMPL 24) from every init of Table 12."""

from kedro.pipeline import Node, Pipeline

from posebh import skeletons
from posebh.pipelines import bind

from .nodes import transfer_to


def _node(target: str) -> Node:
    return Node(bind(transfer_to, target),
                inputs={"baseline": "baseline.checkpoint", "aic": "aic_only.checkpoint",
                        "posebh": "posebh.checkpoint", "train_set": f"{target}_train",
                        "val_set": f"{target}_val", "transfer_params": "params:transfer",
                        "method": "params:method", "data": "params:data",
                        "evaluation": "params:evaluation"},
                outputs=[f"transfer_{target}_metrics", f"transfer_{target}_prototypes"],
                name=f"transfer_{target}")


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([_node(t) for t in skeletons.TRANSFER])
