"""Tables of this run's results, as pandas DataFrames (also written as CSV)."""

from __future__ import annotations

import pandas as pd

from posebh import skeletons

# protocol -> the numbers the paper reports for it: (name, path into the metrics dict, scale to %)
HEADLINE_FIELDS: dict[str, tuple[tuple[str, tuple[str, ...], float], ...]] = {
    "wholebody": (("AP", ("wholebody", "AP"), 100), ("AR", ("wholebody", "AR"), 100),
                  ("body AP", ("body", "AP"), 100), ("PCK@0.2", ("PCK@0.2",), 100)),
    "pckh": (("PCKh", ("PCKh",), 1), ("PCKh@0.1", ("PCKh@0.1",), 1), ("AP", ("AP",), 100),
             ("AR", ("AR",), 100), ("PCK@0.2", ("PCK@0.2",), 100)),
    "pck": (("PCK@0.2", ("PCK@0.2",), 100), ("AUC", ("AUC@30px",), 100), ("EPE", ("EPE",), 1)),
    "oks": (("AP", ("AP",), 100), ("AP50", ("AP50",), 100), ("AR", ("AR",), 100),
            ("PCK@0.2", ("PCK@0.2",), 100)),
}


def protocol(dataset: str) -> str:
    """Which HEADLINE_FIELDS entry reports ``dataset`` (OKS for datasets without a skeleton entry)."""
    if dataset == "coco_wholebody":
        return "wholebody"
    known = skeletons.load_skeletons()
    return known[dataset].metric if dataset in known else "oks"


def _get(metrics: dict, path: tuple[str, ...]) -> float | None:
    node: object = metrics
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return float(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def headline(metrics: dict, dataset: str) -> dict[str, float]:
    """The numbers the paper reports for one dataset, in percent (EPE in px); absent ones skipped."""
    out = {}
    for name, path, scale in HEADLINE_FIELDS[protocol(dataset)]:
        value = _get(metrics[dataset], path)
        if value is not None:
            out[name] = value * scale
    return out


def per_dataset(variant_metrics: dict[str, dict],
                protocols: dict[str, str] | None = None) -> pd.DataFrame:
    """Long table: one row per (variant, dataset, metric), with the dataset's protocol line."""
    rows = []
    for variant, metrics in variant_metrics.items():
        for dataset, m in metrics.items():
            if not isinstance(m, dict):
                continue
            for metric, value in headline(metrics, dataset).items():
                rows.append({"variant": variant, "dataset": dataset, "metric": metric,
                             "value": round(float(value), 2),
                             "protocol": (protocols or {}).get(dataset, "")})
    return pd.DataFrame(rows, columns=["variant", "dataset", "metric", "value", "protocol"])


def wide(long: pd.DataFrame, rows: tuple[str, str] = ("dataset", "metric"),
         column: str = "variant") -> pd.DataFrame:
    """(dataset, metric) rows x one column per variant, in first-seen order, for display."""
    if long.empty:
        return long
    return long.pivot_table(index=list(rows), columns=column, values="value", sort=False)


def transfer_table(transfer_metrics: dict[str, dict],
                   protocols: dict[str, str] | None = None) -> pd.DataFrame:
    """Long table: one row per (transfer target, init, metric), with the target's protocol line."""
    rows = []
    for target, by_init in transfer_metrics.items():
        for init, m in by_init.items():
            for metric, value in headline({target: m}, target).items():
                rows.append({"target": target, "init": init, "metric": metric,
                             "value": round(float(value), 2),
                             "protocol": (protocols or {}).get(target, "")})
    return pd.DataFrame(rows, columns=["target", "init", "metric", "value", "protocol"])


def headline_metrics(variant_metrics: dict[str, dict], transfer_metrics: dict[str, dict]) -> dict:
    """Small, numeric DVC metrics: variant -> dataset -> headline numbers, plus transfer runs."""
    out: dict[str, dict] = {
        v: {d: {k: round(x, 3) for k, x in headline(m, d).items()} for d in m if isinstance(m[d], dict)}
        for v, m in variant_metrics.items()}
    out["transfer"] = {f"{t}.{i}": {k: round(x, 3) for k, x in headline({t: m}, t).items()}
                       for t, by in transfer_metrics.items() for i, m in by.items()}
    return out
