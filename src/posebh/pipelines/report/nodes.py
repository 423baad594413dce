"""Node of the ``report`` pipeline: tables, figures and ``reports/index.html``."""

from __future__ import annotations

import pandas as pd

from posebh import skeletons
from posebh.reporting import figures, html, provenance, tables


def build_report(variant_metrics: dict[str, dict], histories: dict[str, list[dict]],
                 transfer_metrics: dict[str, dict], split_summary: dict, ablation: list[str],
                 params: dict) -> tuple[str, pd.DataFrame, pd.DataFrame, dict]:
    """Return (HTML page, per-dataset CSV table, transfer CSV table, headline DVC metrics)."""
    long = tables.per_dataset(variant_metrics)
    transfer = tables.transfer_table(transfer_metrics)
    abl_rows = []
    for v in ablation:
        rows = long[(long.variant == v) & long.metric.isin(["AP", "PCKh"])]
        rows = rows[~((rows.dataset == "mpii") & (rows.metric == "AP"))]
        abl_rows.append({"variant": v, **{d: rows[rows.dataset == d].value.mean()
                                          for d in skeletons.SOURCES}, "mean": rows.value.mean()})
    ablation_df = pd.DataFrame(abl_rows).set_index("variant") if abl_rows else pd.DataFrame()
    wall = sum(h["seconds"] for hist in histories.values() for h in hist)
    wall += sum(m.get("seconds", 0.0) for vm in variant_metrics.values() for m in vm.values())
    wall += sum(m.get("train_seconds", 0.0) for tm in transfer_metrics.values() for m in tm.values())
    split_df = pd.DataFrame(split_summary).T
    prov = provenance.provenance(params["report"]["profile"], params,
                                 {"variants": variant_metrics, "split": split_summary})
    page = html.render(
        prov=prov,
        profile_note=params["report"]["note"],
        wall_time=f"{wall / 60:.1f} min (sum of measured stage times)",
        results_table=tables.wide(long),
        ablation_table=ablation_df,
        transfer_table=tables.wide(transfer, rows=("target", "metric"), column="init"),
        split_table=split_df,
        curves=figures.to_data_uri(figures.training_curves(histories)),
        files=["tables/per_dataset.csv", "tables/transfer.csv", "metrics.json",
               *[f"metrics/{v}.json" for v in variant_metrics]],
    )
    headline = {v: {d: tables.headline(m, d) for d in m} for v, m in variant_metrics.items()}
    headline["transfer"] = {f"{t}.{i}": tables.headline({t: m}, t)
                            for t, by in transfer_metrics.items() for i, m in by.items()}
    return page, long, transfer, headline
