"""``download``: the ``data`` pipeline's first node alone (``kedro run --pipelines=download``).

The same node as in ``data``, so ``__default__`` holds it once.
"""

from kedro.pipeline import Pipeline

from posebh.pipelines.data.pipeline import fetch_node


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([fetch_node()])
