"""Per-dataset bar charts: one bar per variant on each dataset's headline metric, with the
std over seeds as error bar where the seeds stage ran that variant more than once."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from posebh.reporting import compare

COLUMNS = ["label", "variant", "value", "std", "runs"]
VARIANT_COLOURS: tuple[str, ...] = ("#1a73e8", "#e8710a", "#188038", "#a142f4", "#c5221f",
                                    "#5f6368", "#007b83", "#b06000")
HATCHES: tuple[str, ...] = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")


def dataset_metrics() -> dict[str, str]:
    """Headline label -> metric name (``run_mapping.yaml`` ``headline``), one per dataset
    (averages over datasets are left out)."""
    return {label: name for _, label, name in compare.dataset_headlines()}


def bar_values(metrics: dict[str, dict], seed_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (dataset label, variant): this run's value, or the mean and std over seeds where
    ``seed_table`` (``seeds_section.seeds_table``) has >= 2 seeds of it; ``runs`` counts them."""
    seeded = {}
    if seed_table is not None:
        for r in seed_table[seed_table["seeds"] >= 2].itertuples():
            seeded[(r.label, r.variant)] = (float(r.mean), float(r.std), int(r.seeds))
    rows = []
    for label, name in dataset_metrics().items():
        for variant, run in metrics.items():
            if (label, variant) in seeded:
                mean, std, n = seeded[(label, variant)]
                rows.append({"label": label, "variant": variant, "value": mean, "std": std, "runs": n})
                continue
            value = compare.metric_value(name, run)
            if value is not None:
                rows.append({"label": label, "variant": variant, "value": value,
                             "std": float("nan"), "runs": 1})
    return pd.DataFrame(rows, columns=COLUMNS)


def bar_figure(values: pd.DataFrame, columns: int = 3, order: list[str] | None = None) -> plt.Figure:
    """Small multiples, one panel per dataset label; each variant keeps its colour and hatch in
    every panel, in ``order`` (default: first seen); error bars (± std over seeds) only where
    ``runs`` >= 2."""
    labels = list(dict.fromkeys(values["label"]))
    seen = set(values["variant"])
    variants = [v for v in (order or []) if v in seen] + [v for v in dict.fromkeys(values["variant"])
                                                           if v not in (order or [])]
    rows = max(1, -(-len(labels) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.9 * rows), squeeze=False)
    for ax, label in zip(axes.flat, labels):
        sub = values[values["label"] == label].set_index("variant").reindex(variants)
        x = np.arange(len(variants))
        for i, v in enumerate(variants):
            if np.isnan(sub.loc[v, "value"]):
                ax.text(i, 0, " not run", rotation=90, ha="center", va="bottom", fontsize=7)
                continue
            std = sub.loc[v, "std"]
            ax.bar(i, sub.loc[v, "value"], color=VARIANT_COLOURS[i % len(VARIANT_COLOURS)],
                   hatch=HATCHES[i % len(HATCHES)], edgecolor="white", linewidth=0.5,
                   yerr=None if np.isnan(std) else std, capsize=3, ecolor="black")
            value = sub.loc[v, "value"]
            ax.annotate(f"{value:.{1 if abs(value) >= 10 else 2}f}",
                        (i, value + (0 if np.isnan(std) else std)),
                        xytext=(0, 2), textcoords="offset points", ha="center", fontsize=6.5)
        ax.set_xticks(x, variants, rotation=35, ha="right", fontsize=7)
        ax.set_xlim(-0.6, len(variants) - 0.4)
        ax.set_title(label, fontsize=9)
        ax.set_ylabel("%", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_ylim(0, max(1.0, float(np.nanmax(sub["value"] + sub["std"].fillna(0)))) * 1.15)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(labels):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def caption(values: pd.DataFrame) -> str:
    """Says which bars carry an error bar (seed std) and which are a single run."""
    multi = values[values["runs"] >= 2]
    seeded = sorted(set(multi["variant"]))
    single = sorted(set(values["variant"]) - set(seeded))
    parts = ["Headline metric per dataset, one bar per variant (bar height printed above it)."]
    if seeded:
        n = sorted(set(multi["runs"]))
        parts.append(f"{', '.join(seeded)}: mean over {'/'.join(map(str, n))} seeds, error bar "
                     "± 1 std over seeds.")
    if single:
        parts.append(f"{', '.join(single)}: one run, so no error bar.")
    return " ".join(parts)
