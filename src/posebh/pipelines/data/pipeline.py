"""``data``: render (embedded default) or convert (paper profile) every dataset; split APT-36K.

Runs after ``download`` (its status file is an input). Rendered images go under
``data/02_intermediate/images`` so that the stage's outputs are the same folder in every profile.
"""

from kedro.pipeline import Node, Pipeline

from posebh import skeletons
from posebh.pipelines import bind

from .nodes import convert_unseen, digest, hidden_truth, render_apt36k, render_dataset

# Datasets rendered as independent images (APT-36K is rendered as video clips and split).
IMAGE_DATASETS = tuple(d for d in skeletons.SOURCES if d != "apt36k") + skeletons.TRANSFER
RAW_STATUS = "raw_data_status"  # data/01_raw/raw_status.json, written by the `download` pipeline


def create_pipeline(**kwargs) -> Pipeline:
    nodes = [
        Node(bind(render_dataset, d), inputs=["params:data", RAW_STATUS],
             outputs=[f"{d}_train", f"{d}_val"], name=f"render_{d}")
        for d in IMAGE_DATASETS
    ]
    nodes.append(
        Node(render_apt36k, inputs=["params:data", RAW_STATUS],
             outputs=["apt36k_train", "apt36k_val", "apt36k_test", "apt36k_split_summary"],
             name="render_and_split_apt36k")
    )
    nodes.append(Node(convert_unseen, inputs=["params:data", RAW_STATUS],
                      outputs=["ochuman_val", "ochuman_test", "ochuman_occ_val", "ochuman_occ_test"],
                      name="convert_ochuman"))
    sets = [o for n in nodes for o in n.outputs if o != "apt36k_split_summary"]
    nodes.append(Node(digest, inputs={"params": "params:data", **{s: s for s in sets}},
                      outputs="intermediate_digest", name="digest"))
    # hidden truth of the val images: evaluation only, so not part of the digest training reads
    nodes.append(Node(hidden_truth, inputs="params:data", outputs="hidden_truth",
                      name="hidden_truth"))
    return Pipeline(nodes)
