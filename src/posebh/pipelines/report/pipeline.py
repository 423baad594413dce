"""``report``: regenerate ``reports/index.html``, the CSV tables and the headline DVC metrics."""

from __future__ import annotations

from typing import Any

from kedro.pipeline import Node, Pipeline

from posebh import experiments, skeletons
from posebh.reporting.paper import load_tables
from posebh.reporting.report import OVERLAY_MODELS

from .nodes import build_report

PARAMS = ("model", "train", "data", "evaluation", "transfer", "report", "method")
OUTPUTS = ["report_html", "report_table", "report_transfer_table", "report_metrics", "report_timings",
           "report_neighbours"]


def paper_table_outputs() -> list[str]:
    """One CSV dataset per paper table: ``report_paper_table_01`` ... ``_12``."""
    return [f"report_paper_table_{n:02d}" for n in sorted(load_tables())]


def report_inputs(variants: list[str]) -> dict[str, str]:
    """Slot ("group.key" or "key") -> catalog dataset: what the report node reads."""
    slots = {f"metrics.{v}": f"{v}.metrics" for v in variants}
    slots |= {f"histories.{v}": f"{v}.history" for v in variants}
    slots |= {f"predictions.{v}": f"{v}.predictions" for v in OVERLAY_MODELS if v in variants}
    slots |= {f"val_sets.{d}": f"{d}_val" for d in skeletons.SOURCES}
    slots |= {f"transfer_metrics.{t}": f"transfer_{t}_metrics" for t in skeletons.TRANSFER}
    if "posebh" in variants:
        slots["prototypes"] = "posebh.prototypes"
    slots |= {f"transfer_prototypes.{t}": f"transfer_{t}_prototypes" for t in skeletons.TRANSFER}
    slots["grid"] = "grid_metrics"
    slots["split_summary"] = "apt36k_split_summary"
    slots |= {f"params.{p}": f"params:{p}" for p in PARAMS}
    return slots


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """{"a.b": x, "c": y} -> {"a": {"b": x}, "c": y}."""
    out: dict[str, Any] = {}
    for slot, value in flat.items():
        group, _, key = slot.partition(".")
        if key:
            out.setdefault(group, {})[key] = value
        else:
            out[group] = value
    return out


def create_pipeline(**kwargs) -> Pipeline:
    variants = experiments.all_variants()
    slots = report_inputs(list(variants))

    def report(*values):
        return build_report(nest(dict(zip(slots, values))), variants)

    return Pipeline([
        Node(report, inputs=list(slots.values()), outputs=OUTPUTS + paper_table_outputs(),
             name="build_report")
    ])
