"""Report section: sensitivity sweeps (grid points with ``table: null``), one panel per parameter.

Each panel draws every dataset's headline metric against the swept value; the default value is
the headline variant itself, drawn with its seed band (mean ± std over seeds) when the seeds ran.
Points the profile did not run are listed as such.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from posebh.evaluation.instances import InstanceScores, metric
from posebh.reporting import compare, figures, html
from posebh.reporting.sections import Figure, Section
from posebh.reporting.seeds_section import dataset_labels

if TYPE_CHECKING:
    from posebh.reporting.report import ReportInputs

DEFAULTS = {  # swept parameter -> how to read the headline variant's value from its method config
    "prototype_weight_scale": lambda m: 1.0,
    "zeta": lambda m: m.get("zeta"),
    "embedding_adam_eps": lambda m: 1e-8,
    "css_start": lambda m: m.get("css_start"),
    "normalisation": lambda m: m.get("normalisation", "paper"),
}
COLUMNS = ["param", "value", "run", "dataset", "label", "value_metric", "seeds", "std"]


def _headline_values(metrics: dict) -> dict[str, float]:
    """dataset -> headline metric (report scale) from a run's metrics dict."""
    values = {d: compare.metric_value(name, metrics) for d, _, name in compare.dataset_headlines()}
    return {d: v for d, v in values.items() if v is not None}


def _seed_band(inputs: ReportInputs, variant: str) -> dict[str, tuple[float, float, int]]:
    """dataset -> (mean, std, n) of the headline variant over seeds, when the seeds ran."""
    by_seed = ((inputs.seeds or {}).get("scores") or {}).get(variant) or {}
    vals: dict[str, list[float]] = {}
    for ds in by_seed.values():
        for d, x in ds.items():
            vals.setdefault(d, []).append(metric(InstanceScores.from_dict(x)))
    return {d: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, len(v))
            for d, v in vals.items()}


def sweep_table(inputs: ReportInputs) -> pd.DataFrame:
    """Long rows: every run sweep point and the default (headline variant) per dataset."""
    labels = dataset_labels()
    headline = inputs.ablation.headline
    method = (inputs.params.get("method") or {})
    band = _seed_band(inputs, headline)
    rows = []
    sweeps = {n: compare.grid_spec(s) for n, s in inputs.variants.items()}
    sweeps = {n: g for n, g in sweeps.items() if g and g.get("table") is None and "param" in g}
    for param in sorted({g["param"] for g in sweeps.values()}):
        default = DEFAULTS.get(param, lambda m: None)(method)
        if default is not None and headline in inputs.metrics:
            for d, v in _headline_values(inputs.metrics[headline]).items():
                mean, std, n = band.get(d, (v, float("nan"), 1))
                rows.append({"param": param, "value": default, "run": headline, "dataset": d,
                             "label": labels.get(d, d), "value_metric": mean, "seeds": n,
                             "std": std})
        for name, g in sweeps.items():
            if g["param"] == param and name in inputs.metrics:
                for d, v in _headline_values(inputs.metrics[name]).items():
                    rows.append({"param": param, "value": g["value"], "run": name, "dataset": d,
                                 "label": labels.get(d, d), "value_metric": v, "seeds": 1,
                                 "std": float("nan")})
    return pd.DataFrame(rows, columns=COLUMNS)


def sweep_figure(table: pd.DataFrame) -> plt.Figure:
    params = list(dict.fromkeys(table["param"]))
    fig, axes = plt.subplots(1, len(params), figsize=(3.3 * len(params), 3.0), squeeze=False)
    for ax, param in zip(axes[0], params):
        sub = table[table["param"] == param]
        numeric = all(isinstance(v, (int, float)) for v in sub["value"])
        for i, (label, rows) in enumerate(sub.groupby("label", sort=False)):
            rows = rows.sort_values("value") if numeric else rows
            x = rows["value"].astype(float) if numeric else np.arange(len(rows))
            line, = ax.plot(x, rows["value_metric"], marker=figures.marker(i), ms=3, label=label)
            std = rows["std"].fillna(0.0)
            ax.fill_between(x, rows["value_metric"] - std, rows["value_metric"] + std,
                            color=line.get_color(), alpha=0.2)
        if numeric and (sub["value"].astype(float) > 0).all() and sub["value"].max() / max(
                sub["value"].min(), 1e-30) > 50:
            ax.set_xscale("log")
        ax.set_title(param, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("headline metric (AP ×100, PCKh %)", fontsize=8)
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def section(inputs: ReportInputs) -> Section | None:
    sweeps = {n: compare.grid_spec(s) for n, s in inputs.variants.items()}
    defined = sorted({g["param"] for g in sweeps.values() if g and g.get("table") is None
                      and "param" in g})
    table = sweep_table(inputs)
    ran = sorted(set(table["run"]) - {inputs.ablation.headline}) if not table.empty else []
    not_ran = sorted(n for n, g in sweeps.items() if g and g.get("table") is None
                     and n not in inputs.metrics)
    if not defined and table.empty:
        return None
    notes = [
        "Beyond the paper's grids: the prototype weights α, β, γ scaled together, ζ up to 1, Adam's "
        "ε of the embedding module, CSS from phase 3 instead of phase 2, and the released code's "
        "loss normalisations - one fine-tune of the "
        f"baseline per point, scored on every dataset. The default of each panel is the "
        f"{inputs.ablation.headline} variant, with its seed band (± std over seeds) where the seeds ran; "
        "sweep points are one seed each.",
        f"Points run in this profile: {', '.join(ran) if ran else 'none'}. "
        f"Not run: {', '.join(not_ran) if not_ran else 'none'} (conf/study runs every point; "
        "README, 'Profiles').",
    ]
    figs = (Figure(figures.to_data_uri(sweep_figure(table)), "Headline metric per dataset against "
                   "each swept value.", "sensitivity curves"),) if ran else ()
    shown = table.assign(value=[f"{v:g}" if isinstance(v, (int, float)) else str(v)
                                for v in table["value"]])
    wide = (shown.pivot_table(index=["param", "value", "run"], columns="label",
                              values="value_metric", sort=False).reset_index()
            if not table.empty else table)
    wide.columns.name = None
    return Section(anchor="sensitivity", title="Sensitivity sweeps",
                   how="one line per dataset against the swept value; a flat line means the "
                       "metric does not depend on that hyper-parameter at this scale.",
                   notes=tuple(notes),
                   blocks=(html.table_html(wide, precision=2, text=True, index=False,
                                           caption="Headline metric per swept value (rows) and "
                                                   "dataset (columns)."),),
                   figures=figs, tables={"sensitivity": table})
