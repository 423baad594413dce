"""``data``: render (embedded default) or convert (paper profile) every dataset; split APT-36K."""

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from posebh import skeletons

from .nodes import render_apt36k, render_dataset

# Datasets rendered as independent images (APT-36K is rendered as video clips and split).
IMAGE_DATASETS = tuple(d for d in skeletons.SOURCES if d != "apt36k") + skeletons.TRANSFER


def _named(func, name: str):
    return update_wrapper(partial(func, name), func)


def create_pipeline(**kwargs) -> Pipeline:
    nodes = [
        Node(_named(render_dataset, d), inputs="params:data", outputs=[f"{d}_train", f"{d}_val"],
             name=f"render_{d}")
        for d in IMAGE_DATASETS
    ]
    nodes.append(
        Node(render_apt36k, inputs="params:data",
             outputs=["apt36k_train", "apt36k_val", "apt36k_test", "apt36k_split_summary"],
             name="render_and_split_apt36k")
    )
    return Pipeline(nodes)
