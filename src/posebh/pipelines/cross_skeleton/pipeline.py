"""``cross_skeleton``: the ablation variants' heads on every source's val images (hidden truth)."""

from kedro.pipeline import Node, Pipeline

from posebh.pipelines import matrix

from .nodes import cross_skeleton


def model_inputs() -> dict[str, str]:
    """Node argument -> catalog dataset: every ablation variant's checkpoint, and the prototypes
    of those that are fine-tunes (the PoseBH family; a scratch variant writes none)."""
    m = matrix()
    names = list(m.ablation.variants)
    slots = {f"checkpoint__{v}": f"{v}.checkpoint" for v in names}
    slots |= {f"prototypes__{v}": f"{v}.prototypes" for v in names
              if m.variants[v].kind == "finetune"}
    return slots


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([
        Node(cross_skeleton, inputs={"hidden_truth": "hidden_truth",
                                     "cross_skeleton": "params:cross_skeleton",
                                     "data": "params:data", "evaluation": "params:evaluation",
                                     **model_inputs()},
             outputs=["cross_skeleton_metrics", "cross_skeleton_scores"], name="cross_skeleton")
    ])
