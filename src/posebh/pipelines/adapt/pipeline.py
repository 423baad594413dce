"""``adapt``: the adaptation recipes (full, head, last_k, lora, prototype_first) on the transfer
targets from the baseline and PoseBH checkpoints, trained as ``transfer`` trains (#16)."""

from kedro.pipeline import Node, Pipeline

from posebh import skeletons

from .nodes import adapt_recipes


def create_pipeline(**kwargs) -> Pipeline:
    sets = {f"{t}_{split}": f"{t}_{split}" for t in skeletons.TRANSFER for split in ("train", "val")}
    return Pipeline([
        Node(adapt_recipes,
             inputs={"baseline": "baseline.checkpoint", "posebh": "posebh.checkpoint",
                     "adapt_params": "params:adapt", "transfer_params": "params:transfer",
                     "method": "params:method", "data": "params:data",
                     "evaluation": "params:evaluation", **sets},
             outputs=["adapt_metrics", "adapt_timings"], name="adapt")
    ])
