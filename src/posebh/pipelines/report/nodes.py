"""Node of the ``report`` pipeline: a thin wrapper around ``posebh.reporting.report.build``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from posebh.experiments import Ablation
from posebh.reporting import provenance, report


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """{"a__b": x, "c": y} -> {"a": {"b": x}, "c": y}."""
    out: dict[str, Any] = {}
    for slot, value in flat.items():
        group, _, key = slot.partition("__")
        if key:
            out.setdefault(group, {})[key] = value
        else:
            out[group] = value
    return out


def build_report(variants: dict[str, dict], ablation: Ablation, **flat: Any) -> tuple:
    """(page, per-dataset CSV, transfer CSV, DVC metrics, timings, neighbour CSV, evidence CSVs,
    *paper-table CSVs).

    ``flat``: the node's named inputs (see ``pipeline.report_inputs``), nested by ``__``.
    """
    inputs = nest(flat)
    params = inputs["params"]
    metrics = dict(inputs.get("metrics", {}))
    variants = dict(variants)
    for name, point in (inputs.get("grid") or {}).items():  # grid points join as variants
        key = f"grid:{name}"
        variants[key] = {"description": f"grid point {name}", "kind": "grid",
                         "grid": {k: point[k] for k in ("table", "param", "value")}}
        metrics[key] = point["metrics"]
    transfer = inputs.get("transfer_metrics", {})
    prov = provenance.provenance(params["report"]["profile"], params,
                                 {"variants": metrics, "transfer": transfer,
                                  "split": inputs["split_summary"]})
    out = report.build(report.ReportInputs(
        variants=variants, ablation=ablation, metrics=metrics, histories=inputs.get("histories", {}),
        transfer_metrics=transfer, split_summary=inputs["split_summary"], params=params,
        predictions=inputs.get("predictions", {}), val_sets=inputs.get("val_sets", {}),
        prototypes=inputs.get("prototypes"),
        transfer_prototypes={t: p for t, p in (inputs.get("transfer_prototypes") or {}).items() if p},
        seeds=inputs.get("seeds") or {}, cross_skeleton=inputs.get("cross_skeleton") or {},
        cross_scores=inputs.get("cross_scores") or {},
        pipeline=(inputs.get("pipeline") or {}).get("stages", {}),
        released=inputs.get("released") or {},
        adapt=inputs.get("adapt") or {}, adapt_timings=inputs.get("adapt_timings") or {},
        kd=inputs.get("kd") or {}, kd_scores=inputs.get("kd_scores") or {},
        kd_timings=inputs.get("kd_timings") or {},
        cape=inputs.get("cape") or {},
        matrix_lists={"variants": [n for n, v in variants.items() if v.get("kind") == "scratch"],
                      "finetunes": [n for n, v in variants.items() if v.get("kind") == "finetune"]},
    ), prov)
    tables: list[pd.DataFrame] = [out.paper_tables[n] for n in sorted(out.paper_tables)]
    return (out.html, out.per_dataset, out.transfer, out.metrics, out.timings, out.neighbours,
            out.evidence_tables, *tables)
