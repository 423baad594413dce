"""``download``: check the raw files of every dataset (download the public ones when allowed).

Its status file is the ``data`` pipeline's first input (``kedro run --pipelines=download``).
"""

from kedro.pipeline import Node, Pipeline

from posebh import skeletons
from posebh.pipelines import bind

from .nodes import fetch_raw


def create_pipeline(**kwargs) -> Pipeline:
    datasets = tuple(skeletons.SOURCES) + skeletons.TRANSFER + ("ochuman",)  # Table 10
    return Pipeline([Node(bind(fetch_raw, datasets),
                          inputs="params:data", outputs="raw_data_status", name="fetch_raw_data")])
