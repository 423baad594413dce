"""``transfer``: fine-tune on each transfer domain (hand 21, SMPL 24) from every init of Table 12."""

from kedro.pipeline import Node, Pipeline

from posebh import skeletons

from .nodes import transfer

SOURCES = {"baseline": "baseline.checkpoint", "aic": "aic_only.checkpoint",
           "posebh": "posebh.checkpoint"}


def _node(target: str) -> Node:
    def run(*args):
        *ckpts, train_set, val_set, params, method, data, evaluation = args
        return transfer(target, dict(zip(SOURCES, ckpts)), train_set, val_set, params, method,
                        data, evaluation)

    run.__name__ = f"transfer_{target}"
    return Node(run, inputs=[*SOURCES.values(), f"{target}_train", f"{target}_val",
                             "params:transfer", "params:method", "params:data", "params:evaluation"],
                outputs=[f"transfer_{target}_metrics", f"transfer_{target}_prototypes"],
                name=f"transfer_{target}")


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([_node(t) for t in skeletons.TRANSFER])
