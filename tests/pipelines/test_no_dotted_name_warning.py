"""Building the pipelines that read other pipelines' namespaced outputs warns nothing (#15)."""

import importlib
import warnings

import posebh.pipelines


def test_report_and_grid_pipelines_build_without_the_dotted_name_warning():
    from kedro.pipeline.node import _DOTTED_DATASET_NAME_WARNED, Node

    from posebh.pipelines.grid.pipeline import create_pipeline as grid
    from posebh.pipelines.report.pipeline import create_pipeline as report

    setattr(Node, _DOTTED_DATASET_NAME_WARNED, False)  # Kedro warns once per process
    with warnings.catch_warnings(record=True) as caught:
        # pytest resets the filters per test: re-run the module's own setup inside this context
        importlib.reload(posebh.pipelines)
        report(), grid()
    assert not [w for w in caught if "dataset names contain" in str(w.message)]
