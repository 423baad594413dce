"""Tables of the report, as pandas DataFrames (also written as CSV)."""

from __future__ import annotations

import pandas as pd

from posebh import skeletons


def headline(metrics: dict, dataset: str) -> dict[str, float]:
    """The numbers the paper reports for one dataset, in percent: AP/AR (or PCKh), plus PCK."""
    m = metrics[dataset]
    if dataset == "coco_wholebody":
        wb = m["wholebody"]
        row = {"AP": wb["AP"], "AR": wb["AR"], "body AP": m["body"]["AP"]}
    elif skeletons.get(dataset).metric == "pckh":
        row = {"PCKh": m["PCKh"] / 100, "PCKh@0.1": m["PCKh@0.1"] / 100}
        if "AP" in m:
            row.update(AP=m["AP"], AR=m["AR"])
    elif skeletons.get(dataset).metric == "pck":
        row = {"PCK@0.2": m["PCK@0.2"], "AUC": m["AUC@30px"], "EPE": m["EPE"]}
    else:
        row = {"AP": m["AP"], "AP50": m["AP50"], "AR": m["AR"]}
    if "PCK@0.2" in m and dataset != "interhand2d":
        row["PCK@0.2"] = m["PCK@0.2"]
    return {k: (v if k == "EPE" else 100 * v) for k, v in row.items()}


def per_dataset(variant_metrics: dict[str, dict]) -> pd.DataFrame:
    """Long table: one row per (variant, dataset, metric)."""
    rows = []
    for variant, metrics in variant_metrics.items():
        for dataset in metrics:
            for metric, value in headline(metrics, dataset).items():
                rows.append({"variant": variant, "dataset": dataset, "metric": metric,
                             "value": round(float(value), 2)})
    return pd.DataFrame(rows, columns=["variant", "dataset", "metric", "value"])


def wide(long: pd.DataFrame, rows: tuple[str, str] = ("dataset", "metric"),
         column: str = "variant") -> pd.DataFrame:
    """(dataset, metric) rows x one column per variant, in first-seen order, for display."""
    if long.empty:
        return long
    return long.pivot_table(index=list(rows), columns=column, values="value", sort=False)


def transfer_table(transfer_metrics: dict[str, dict]) -> pd.DataFrame:
    rows = []
    for target, by_init in transfer_metrics.items():
        for init, m in by_init.items():
            for metric, value in headline({target: m}, target).items():
                rows.append({"target": target, "init": init, "metric": metric,
                             "value": round(float(value), 2)})
    return pd.DataFrame(rows, columns=["target", "init", "metric", "value"])
