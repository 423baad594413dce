"""Evidence section: the hidden-truth cross-skeleton matrix (head x image source) and the CSS audit.

Reads what the ``cross_skeleton`` stage writes (``reports/metrics/cross_skeleton.json``):
``{matrix: {model: {head: {source: {AP, PCK@0.1, n_images}}}}, css_audit: {same nesting}, notes}``,
and its per-instance scores (``data/08_reporting/cross_skeleton_scores.json``) for the paired
bootstrap interval of the off-diagonal means (``evaluation.cross_bootstrap``; settings of the
``seeds`` parameters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from posebh.evaluation.bootstrap import BootstrapConfig, direction
from posebh.evaluation.cross_bootstrap import off_diagonal_pairs, parse
from posebh.reporting import figures, html
from posebh.reporting.sections import Figure, Section

if TYPE_CHECKING:
    from posebh.reporting.report import ReportInputs

PCK = "PCK@0.1"
AUDIT_COLUMNS = ("candidates", "kept", "share_kept", "scored", "median_err_px",
                 "median_err_hm_px", "share_within_d_thr")


def long_rows(nested: dict) -> pd.DataFrame:
    """{model: {head: {source: fields}}} -> one row per cell (model, head, source, *fields)."""
    rows = [{"model": m, "head": h, "source": s, **fields}
            for m, heads in nested.items() for h, sources in heads.items()
            for s, fields in sources.items()]
    return pd.DataFrame(rows)


def matrix_table(nested: dict) -> pd.DataFrame:
    """The ``cross_skeleton`` CSV: long rows with a ``diagonal`` flag (head == source)."""
    df = long_rows(nested)
    if df.empty:
        return pd.DataFrame(columns=["model", "head", "source", "diagonal", "AP", PCK, "n_images"])
    df.insert(3, "diagonal", df["head"] == df["source"])
    return df[["model", "head", "source", "diagonal", "AP", PCK, "n_images"]]


Pairs = Sequence[tuple[str, str]]  # (headline, control): the differences "headline − control"


def intervals(scores: dict, control: str, headline: str, cfg: BootstrapConfig,
              pairs: Pairs | None = None) -> pd.DataFrame:
    """``off_diagonal_pairs`` of the stored scores (default pair: headline − control), indexed
    by model (empty without scores)."""
    cells, units = parse(scores)
    rows = off_diagonal_pairs(cells, units, pairs or [(headline, control)], cfg) if cells else []
    return pd.DataFrame(rows, columns=["model", "cells", "mean", "low", "high"]).set_index("model")


def interval_text(low: float, high: float, decimals: int = 1) -> str:
    return f"[{html.number(low, decimals)}, {html.number(high, decimals)}]"


def summary(df: pd.DataFrame, control: str, headline: str,
            ci: pd.DataFrame | None = None, level: float = 0.95,
            pairs: Pairs | None = None) -> pd.DataFrame:
    """Mean AP / PCK@0.1 (x100) over diagonal and off-diagonal cells per model, and the
    headline - control difference (or each of ``pairs``) over the off-diagonal cells both have
    (paired by cell); with ``ci`` (``intervals``) the off-diagonal AP's interval and, for each
    difference, its verdict."""
    pairs = list(pairs or [(headline, control)])
    out = []
    for model, g in df.groupby("model", sort=False):
        diag, off = g[g["diagonal"]], g[~g["diagonal"]]
        out.append({"model": model, "diag AP": 100 * diag["AP"].mean(),
                    "off-diag AP": 100 * off["AP"].mean(), f"diag {PCK}": 100 * diag[PCK].mean(),
                    f"off-diag {PCK}": 100 * off[PCK].mean(), "off-diag cells": len(off)})
    off = df[~df["diagonal"]].set_index(["head", "source"])
    diffs = {f"{h} − {c}": c for h, c in pairs}
    for h, c in pairs:
        if not {c, h} <= set(df["model"]) or h == c:
            continue
        a = off[off["model"] == h][["AP", PCK]]
        b = off[off["model"] == c][["AP", PCK]]
        d = (a - b).dropna()
        if len(d):
            out.append({"model": f"{h} − {c}", "off-diag AP": 100 * d["AP"].mean(),
                        f"off-diag {PCK}": 100 * d[PCK].mean(), "off-diag cells": len(d),
                        "cells where AP rises": int((d["AP"] > 0).sum())})
    table = pd.DataFrame(out).set_index("model")
    if "cells where AP rises" in table:
        table["cells where AP rises"] = table["cells where AP rises"].astype("Int64")  # a count
    if ci is not None and not ci.empty:
        col = f"off-diag AP {100 * level:g} % interval"
        table[col] = [interval_text(ci.at[m, "low"], ci.at[m, "high"], 2 if m in diffs else 1)
                      if m in ci.index else "–" for m in table.index]
        table["verdict"] = ["" if m not in diffs or m not in ci.index else
                            direction(ci.at[m, "low"], ci.at[m, "high"], diffs[m])
                            for m in table.index]
    return table


def interval_note(ci: pd.DataFrame, control: str, headline: str, cfg: BootstrapConfig) -> str:
    """The summary's interval in words: a difference is called only when it excludes 0."""
    level = f"{100 * cfg.level:g} %"
    how = (f"{level} percentile intervals from {cfg.resamples} bootstrap replicates; each "
           "replicate draws every source's val images (APT-36K: its videos) with replacement, the "
           "same draw for every head and every model, so the models pair image by image, and "
           "recomputes each off-diagonal cell's AP under those weights. They cover val-image "
           "sampling only (one seed).")
    diff = f"{headline} − {control}"
    if diff not in ci.index:
        return how + f" No interval for {diff}: the stage did not score both models."
    r = ci.loc[diff]
    words = direction(r["low"], r["high"], control)
    verdict = (f"{headline} is {words} on the off-diagonal cells (the interval excludes 0)"
               if words != "no detectable difference" else
               f"no detectable difference between {headline} and {control} on the off-diagonal "
               "cells (the interval includes 0)")
    return (how + f" {diff}, off-diagonal AP over {int(r['cells'])} cells: "
            f"{html.number(r['mean'], 2, signed=True)} {interval_text(r['low'], r['high'], 2)}: "
            f"{verdict}.")


def heatmap(df: pd.DataFrame) -> figures.plt.Figure:
    """One head x source AP panel (x100) per model; blank where the skeleton is not defined."""
    models = list(dict.fromkeys(df["model"]))
    heads = list(dict.fromkeys(df["head"]))
    sources = list(dict.fromkeys(df["source"]))
    fig, axes = figures.plt.subplots(1, len(models), figsize=(3.3 * len(models), 3.4),
                                     squeeze=False)
    for ax, model in zip(axes[0], models):
        grid = np.full((len(heads), len(sources)), np.nan)
        for r in df[df["model"] == model].itertuples():
            grid[heads.index(r.head), sources.index(r.source)] = 100 * r.AP
        ax.imshow(np.ma.masked_invalid(grid), vmin=0, vmax=max(1.0, float(np.nanmax(grid))),
                  cmap="viridis")
        for (i, j), v in np.ndenumerate(grid):
            if not np.isnan(v):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if v < 0.6 * np.nanmax(grid) else "black",
                        fontweight="bold" if heads[i] == sources[j] else "normal")
        ax.set_xticks(range(len(sources)), sources, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(heads)), heads, fontsize=7)
        ax.set_title(model, fontsize=9)
        ax.set_xlabel("image source", fontsize=8)
    axes[0][0].set_ylabel("head (skeleton)", fontsize=8)
    fig.tight_layout()
    return fig


def audit_table(nested: dict) -> pd.DataFrame:
    """The ``css_audit`` CSV: one row per (model, head d, source s)."""
    df = long_rows(nested)
    cols = ["model", "head", "source", "pairs", *AUDIT_COLUMNS, "conf_thr", "d_thr"]
    return pd.DataFrame(columns=cols) if df.empty else df[[c for c in cols if c in df]]


HOW = ("in each matrix a row is a dataset head and a column a dataset's val images; the diagonal "
       "is the head on its own data, off-diagonal cells are the transfer that CSS is meant to help.")


def section(inputs: ReportInputs) -> Section | None:
    """The cross-skeleton section, or None when the stage wrote nothing to show."""
    data = inputs.cross_skeleton or {}
    matrix = matrix_table(data.get("matrix", {}))
    if matrix.empty:
        return None
    audit = audit_table(data.get("css_audit", {}))
    ab = inputs.ablation
    p = inputs.params.get("seeds") or {}
    cfg = BootstrapConfig(int(p.get("resamples", 1000)), float(p.get("level", 0.95)))
    ci = intervals(inputs.cross_scores, ab.control, ab.headline, cfg)
    summ = summary(matrix, ab.control, ab.headline, ci, cfg.level)
    notes = [*data.get("notes", []),
             (f"Summary: mean over cells, x100; '{ab.headline} − {ab.control}' averages the "
              "paired off-diagonal differences (one seed).")
             + (" " + interval_note(ci, ab.control, ab.headline, cfg) if not ci.empty else
                " No interval: the stage wrote no per-instance scores.")]
    shown = audit.drop(columns=["conf_thr", "d_thr"], errors="ignore").set_index(
        ["model", "head", "source"]) if not audit.empty else audit
    blocks = [html.table_html(summ, precision=1, caption="Summary of the cross-skeleton AP "
                              "matrices (mean over cells, x100; intervals: paired bootstrap over "
                              "val images).")]
    if not audit.empty:
        blocks.append(html.table_html(shown, precision=2, caption="CSS audit: pseudo-labels per "
                                      "model, head and source dataset."))
    fig = Figure(figures.to_data_uri(heatmap(matrix)),
                 "OKS AP x100 of each head (row) on each source's val images (column), against "
                 "the hidden truth; bold = own dataset.", "cross-skeleton AP matrices")
    return Section("cross-skeleton", "Cross-skeleton evaluation on hidden truth",
                   HOW, tuple(notes), tuple(blocks), (fig,),
                   {"cross_skeleton": matrix, "css_audit": audit,
                    "cross_skeleton_summary": summ.reset_index()})
