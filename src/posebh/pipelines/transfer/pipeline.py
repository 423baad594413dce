"""``transfer``: fine-tune on each transfer domain (hand 21, SMPL 24) from scratch and from the baseline."""

from kedro.pipeline import Node, Pipeline

from posebh import skeletons

from .nodes import transfer


def _node(target: str) -> Node:
    def run(source_ckpt, train_set, val_set, params, data, evaluation):
        return transfer(target, source_ckpt, train_set, val_set, params, data, evaluation)

    run.__name__ = f"transfer_{target}"
    return Node(run, inputs=["baseline.checkpoint", f"{target}_train", f"{target}_val",
                             "params:transfer", "params:data", "params:evaluation"],
                outputs=f"transfer_{target}_metrics", name=f"transfer_{target}")


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([_node(t) for t in skeletons.TRANSFER])
