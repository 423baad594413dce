"""Report section: Table 5 over seeds - mean ± std per variant and paired intervals vs the control."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from posebh.evaluation.bootstrap import MEAN, BootstrapConfig, summarise, verdict
from posebh.evaluation.instances import InstanceScores
from posebh.reporting import compare, figures, html
from posebh.reporting.sections import Figure, Section

if TYPE_CHECKING:
    from posebh.reporting.report import ReportInputs

COLUMNS = ["variant", "dataset", "label", "seeds", "mean", "std", "boot_std", "diff", "low", "high",
           "paired_seeds", "verdict"]


def dataset_labels() -> dict[str, str]:
    """dataset -> headline label ("COCO AP", "MPII PCKh", ...) from ``run_mapping.yaml``."""
    return {**{d: label for d, label, _ in compare.dataset_headlines()}, MEAN: "Mean of the datasets"}


def seeds_table(scores: dict, control: str, cfg: BootstrapConfig) -> pd.DataFrame:
    """The long table ``table5_seeds.csv``: one row per (variant, dataset)."""
    parsed = {v: {int(s): {d: InstanceScores.from_dict(x) for d, x in ds.items()}
                  for s, ds in by_seed.items()} for v, by_seed in scores.items()}
    rows = summarise(parsed, control, cfg)
    labels = dataset_labels()
    for r in rows:
        r["label"] = labels.get(r["dataset"], r["dataset"])
        r["verdict"] = verdict(r, control)
    return pd.DataFrame(rows, columns=COLUMNS)


def _cell(r: pd.Series) -> str:
    std = "" if np.isnan(r["std"]) else f" ± {r['std']:.2f}"
    return f"{r['mean']:.2f}{std} ({int(r['seeds'])})"


def _interval(r: pd.Series) -> str:
    if not r["paired_seeds"]:
        return "–"
    return (f"{html.number(r['diff'], 2, signed=True)} [{html.number(r['low'], 2, signed=True)}, "
            f"{html.number(r['high'], 2, signed=True)}]")


def _wide(table: pd.DataFrame, cell) -> pd.DataFrame:
    t = table.assign(cell=table.apply(cell, axis=1))
    wide = t.pivot(index="variant", columns="label", values="cell")
    order = list(dict.fromkeys(t["label"]))
    return wide.reindex(index=list(dict.fromkeys(t["variant"])), columns=order)


CALLED = {"marker": "D", "color": "tab:red", "s": 22}  # interval excludes 0
NOT_CALLED = {"marker": "o", "color": "0.2", "s": 18}


def forest_figure(table: pd.DataFrame, control: str) -> plt.Figure:
    """The ablation-delta chart: paired difference vs the control with its interval, one panel per
    dataset (marker and colour say whether the interval excludes 0)."""
    rows = table[table["paired_seeds"] > 0]
    labels = list(dict.fromkeys(rows["label"]))
    variants = list(dict.fromkeys(rows["variant"]))
    cols = min(len(labels), 4)
    n_rows = -(-len(labels) // cols)
    fig, axes = plt.subplots(n_rows, cols, figsize=(2.8 * cols, (0.5 * len(variants) + 1.0) * n_rows + 0.6),
                             sharey=True, squeeze=False)
    for ax, label in zip(axes.flat, labels):
        sub = rows[rows["label"] == label].set_index("variant").reindex(variants)
        y = np.arange(len(variants))
        err = np.vstack([sub["diff"] - sub["low"], sub["high"] - sub["diff"]])
        called = (sub["low"] > 0) | (sub["high"] < 0)
        ax.errorbar(sub["diff"], y, xerr=err, fmt="none", ecolor="0.4", capsize=3)
        for mask, style in ((called, CALLED), (~called, NOT_CALLED)):
            ax.scatter(sub["diff"][mask], y[mask.to_numpy()], zorder=3, **style)
        ax.axvline(0, color="0.6", linewidth=0.8)
        ax.set_title(label, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    for ax in list(axes.flat)[len(labels):]:
        ax.set_visible(False)
    axes[0][0].set_yticks(np.arange(len(variants)), variants)
    axes[0][0].invert_yaxis()  # shared y: every panel lists the variants top-down
    fig.suptitle(f"Ablation deltas: variant \u2212 {control}", fontsize=10)
    fig.supxlabel(f"difference to {control}, points of the metric (red diamond: interval excludes 0; "
                  "dark circle: includes 0)", fontsize=9)
    fig.tight_layout()
    return fig


def _summary(table: pd.DataFrame, headline: str, control: str) -> str:
    rows = table[(table["variant"] == headline) & (table["paired_seeds"] > 0)]
    if rows.empty:
        return f"{headline} has no run paired with {control}."
    called = rows[rows["verdict"] != "no detectable difference"]
    if called.empty:
        return (f"{headline} vs {control}: no detectable difference on any of the {len(rows)} "
                f"columns (every interval includes 0).")
    parts = ", ".join(f"{r.label} {r.verdict.split(' than')[0]} by {r.diff:+.2f} "
                      f"[{r.low:+.2f}, {r.high:+.2f}]" for r in called.itertuples())
    return (f"{headline} vs {control}: {parts}; no detectable difference on the other "
            f"{len(rows) - len(called)} of {len(rows)} columns.")


def config(inputs: ReportInputs) -> BootstrapConfig:
    p = inputs.params.get("seeds") or {}
    return BootstrapConfig(int(p.get("resamples", 1000)), float(p.get("level", 0.95)))


def table(inputs: ReportInputs) -> pd.DataFrame | None:
    """``seeds_table`` of this run, or None without seed scores (``ReportInputs.seed_table``
    caches it: the seeds section and the bar charts share one computation)."""
    scores = (inputs.seeds or {}).get("scores")
    return seeds_table(scores, inputs.ablation.control, config(inputs)) if scores else None


def section(inputs: ReportInputs) -> Section | None:
    table = inputs.seed_table
    if table is None:
        return None
    scores = inputs.seeds["scores"]
    p = inputs.params.get("seeds") or {}
    cfg = config(inputs)
    ab = inputs.ablation
    shared = p.get("baseline", "shared") == "shared"
    level = f"{100 * cfg.level:g} %"
    notes = (
        f"Each ablation variant with seeds {sorted({int(s) for v in scores.values() for s in v})} "
        "(seed 0 is the variant's own stage; seed s sets the initialisation, data order and "
        "augmentation; the data are fixed)."
        + (f" Every seed's fine-tunes start from the one {ab.baseline} checkpoint, so "
           f"{ab.baseline} has one seed; conf/study retrains it per seed." if shared else ""),
        f"Cells: mean ± std over seeds (number of seeds). Δ vs {ab.control}: the mean over the seeds "
        f"both ran of the per-seed difference, with a {level} percentile interval from "
        f"{cfg.resamples} bootstrap replicates that resample the seeds and, per dataset, the "
        "validation images (APT-36K: its videos), paired across variants. A difference is called "
        "only when its interval excludes 0.",
        "Bootstrap std of one seed's value over validation images (the val-set noise floor): "
        + ", ".join(f"{r.label} {r.boot_std:.2f}" for r in
                    table[table["variant"] == ab.control].itertuples()) + ".",
        _summary(table, ab.headline, ab.control),
    )
    return Section(
        anchor="seeds", title="Table 5 over seeds: ablation deltas with paired intervals",
        notes=notes,
        how=(f"the chart shows each variant minus {ab.control} per dataset: a point right of the grey "
             "line is a gain, and a difference counts only where its interval does not cross "
             "the line."),
        blocks=(html.table_html(_wide(table, _cell), text=True,
                                caption="Mean ± std over seeds (number of seeds), per variant "
                                        "and dataset."),
                html.table_html(_wide(table, _interval), text=True,
                                caption=f"Ablation deltas: Δ vs {ab.control} [{level} paired "
                                        "interval].")),
        figures=(Figure(figures.to_data_uri(forest_figure(table, ab.control)),
                        f"Ablation deltas: each variant \u2212 {ab.control} per dataset (the Δ "
                        f"table above), with its {level} paired bootstrap interval; the grey line "
                        "is no difference.",
                        "ablation deltas with paired intervals"),),
        tables={"table5_seeds": table})
