"""``report``: regenerate ``reports/index.html``, the CSV tables and the headline DVC metrics."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from posebh import skeletons
from posebh.pipelines import bind, matrix
from posebh.reporting.paper import load_tables
from posebh.reporting.report import OVERLAY_MODELS

from .nodes import build_report

PARAMS = ("model", "train", "data", "evaluation", "transfer", "report", "method", "seeds")
OUTPUTS = ["report_html", "report_table", "report_transfer_table", "report_metrics", "report_timings",
           "report_neighbours", "report_evidence_tables"]


def paper_table_outputs() -> list[str]:
    """One CSV dataset per paper table: ``report_paper_table_01`` ... ``_12``."""
    return [f"report_paper_table_{n:02d}" for n in sorted(load_tables())]


def report_inputs(variants: list[str]) -> dict[str, str]:
    """Node argument ("group__key" or "key") -> catalog dataset: what the report reads."""
    slots = {f"metrics__{v}": f"{v}.metrics" for v in variants}
    slots |= {f"histories__{v}": f"{v}.history" for v in variants}
    slots |= {f"predictions__{v}": f"{v}.predictions" for v in OVERLAY_MODELS if v in variants}
    slots |= {f"val_sets__{d}": f"{d}_val" for d in skeletons.SOURCES}
    slots |= {f"transfer_metrics__{t}": f"transfer_{t}_metrics" for t in skeletons.TRANSFER}
    if "posebh" in variants:
        slots["prototypes"] = "posebh.prototypes"
    slots |= {f"transfer_prototypes__{t}": f"transfer_{t}_prototypes" for t in skeletons.TRANSFER}
    slots["grid"] = "grid_metrics"
    slots["seeds__scores"] = "ablation_seed_scores"
    slots["cross_skeleton"] = "cross_skeleton_metrics"
    slots["cross_scores"] = "cross_skeleton_scores"
    slots["released"] = "released_metrics"
    slots["adapt"] = "adapt_metrics"
    slots["adapt_timings"] = "adapt_timings"
    slots |= {"kd": "kd_metrics", "kd_scores": "kd_cross_skeleton_scores", "kd_timings": "kd_timings"}
    slots["cape"] = "cape_metrics"
    slots["split_summary"] = "apt36k_split_summary"
    slots["pipeline"] = "dvc_pipeline"
    slots |= {f"params__{p}": f"params:{p}" for p in PARAMS}
    return slots


def create_pipeline(**kwargs) -> Pipeline:
    m = matrix()
    node = bind(build_report, m.report_view(), m.ablation)
    return Pipeline([Node(node, inputs=report_inputs(list(m.variants)),
                          outputs=OUTPUTS + paper_table_outputs(), name="build_report")])
