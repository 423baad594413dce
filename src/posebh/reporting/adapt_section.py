"""Evidence section: the adaptation recipes on the transfer targets (#16 items 5-6).

Reads what the ``adapt`` stage writes to ``reports/metrics/adapt.json`` (``{target: {recipe:
{init: metrics (mean over seeds), trainable_params, total_params, share_trainable, seeds,
std}}}``, fractions in memory). One table per transfer target, a row per (recipe, init); rows
the stage did not write read "not run". Its training times
(``data/08_reporting/adapt_timings.json``, ``{target: {recipe: {init: {seed: seconds}}}}``) are
shown beside them as the issue asks, marked as varying run to run (so this section, like the KD
cost table, changes whenever ``adapt`` re-runs); ``reports/timings.json`` keeps them too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from posebh import skeletons
from posebh.evaluation.units import to_percent
from posebh.reporting import html
from posebh.reporting.sections import Section

if TYPE_CHECKING:
    from posebh.reporting.report import ReportInputs

# recipe -> (what it trains, the inits it runs from): = training.freeze.RECIPES and
# runs.adapt.SCHEDULED_INIT (tests/reporting/test_adapt_section.py keeps them in step)
RECIPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "full": ("full fine-tune", ("baseline", "posebh")),
    "head": ("new head, frozen backbone", ("baseline", "posebh")),
    "last_k": ("last k blocks + new head", ("baseline", "posebh")),
    "lora": ("LoRA on attention + new head", ("baseline", "posebh")),
    "prototype_first": ("PoseBH prototype-first transfer", ("posebh",)),
}
METRICS = {"pck": ("PCK@0.2", "AUC@30px", "EPE"), "oks": ("AP", "PCK@0.2")}  # by protocol
UNITS = {"EPE": "px"}  # every other column is in %
NOT_RUN = "not run"
_NAMES = list(dict.fromkeys(m for names in METRICS.values() for m in names))
COLUMNS = ["target", "recipe", "init", "profile", "seeds", "trainable_params", "total_params",
           "share_trainable", *_NAMES, *(f"{m}_std" for m in _NAMES)]


def _metrics_of(target: str) -> tuple[str, ...]:
    return METRICS[skeletons.get(target).metric]


def long_table(metrics: dict, profile: str) -> pd.DataFrame:
    """The ``adapt_recipes`` CSV: one row per (target, recipe, init) that ran; metric means and
    stds in % (EPE in px)."""
    rows = []
    for target in skeletons.TRANSFER:
        names = _metrics_of(target)
        for recipe, (_, inits) in RECIPES.items():
            for init in inits:
                cell = ((metrics.get(target) or {}).get(recipe) or {}).get(init)
                if cell is None:
                    continue
                shown = to_percent(cell)
                std = shown.get("std") or {}
                rows.append({"target": target, "recipe": recipe, "init": init,
                             "profile": profile, "seeds": len(cell.get("seeds") or [0]),
                             "trainable_params": cell.get("trainable_params"),
                             "total_params": cell.get("total_params"),
                             "share_trainable": shown.get("share_trainable"),
                             **{m: shown.get(m) for m in names},
                             **{f"{m}_std": std.get(m) for m in names}})
    return pd.DataFrame(rows, columns=COLUMNS)


def _mean_std(mean: Any, std: Any, seeds: int, decimals: int = 1) -> str:
    if mean is None or (isinstance(mean, float) and np.isnan(mean)):
        return "–"
    text = html.number(mean, decimals)
    return f"{text} ± {html.number(std, decimals)}" if seeds > 1 and std is not None else text


def mean_seconds(timings: dict, target: str, recipe: str, init: str) -> float | None:
    """Mean training seconds over the seeds of one row of ``adapt_timings`` (None: absent)."""
    per_seed = (((timings.get(target) or {}).get(recipe) or {}).get(init) or {})
    return float(np.mean(list(per_seed.values()))) if per_seed else None


SECONDS = "train s (wall, varies)"


def target_table(long: pd.DataFrame, target: str, timings: dict | None = None) -> pd.DataFrame:
    """The page's table for ``target``: every (recipe, init) row, "not run" where absent;
    ``timings`` (``adapt_timings``) adds the measured training seconds."""
    names = _metrics_of(target)
    ran = {(r["recipe"], r["init"]): r for r in long.to_dict("records")
           if r["target"] == target} if not long.empty else {}
    rows = []
    for recipe, (what, inits) in RECIPES.items():
        for init in inits:
            r = ran.get((recipe, init))
            row: dict[str, Any] = {"recipe": f"{recipe} ({what})", "init": init}
            if r is None:
                row.update({"trainable params": NOT_RUN, "trainable %": "",
                            **{f"{m} ({UNITS.get(m, '%')})": "" for m in names}, "seeds": "",
                            SECONDS: ""})
            else:
                row.update({"trainable params": f"{int(r['trainable_params']):,}",
                            "trainable %": html.number(r["share_trainable"], 2),
                            **{f"{m} ({UNITS.get(m, '%')})": _mean_std(r[m], r[f"{m}_std"],
                                                                      r["seeds"])
                               for m in names},
                            "seeds": str(r["seeds"])})
                sec = mean_seconds(timings or {}, target, recipe, init)
                row[SECONDS] = "–" if sec is None else html.number(sec, 1)
            rows.append(row)
    return pd.DataFrame(rows).set_index(["recipe", "init"])


HOW = ("a row is a recipe started from a checkpoint: read a metric column against the share of "
       "parameters that recipe trains; higher PCK / AUC / AP and lower EPE are better.")


def section(inputs: ReportInputs) -> Section:
    """The adaptation-recipe section (always shown: a target the stage did not run says so)."""
    profile = str((inputs.params.get("report") or {}).get("profile", ""))
    long = long_table(inputs.adapt or {}, profile)
    ran = sorted(set(long["target"])) if not long.empty else []
    seeds = sorted(set(long["seeds"])) if not long.empty else []
    notes = [
        ("Adapting a pretrained pose model to a new skeleton (the foundation-model survey's "
         "recipes) next to PoseBH's own transfer: each recipe fine-tunes a single new head on the "
         "target with the transfer stage's training config (epochs, lr, schedule), from the "
         "ViTPose++ baseline and from the PoseBH checkpoint (backbone only, COCO expert merged; "
         "the prototype-first row also keeps PoseBH's frozen embedding module and learns the "
         "target's prototypes before the backbone thaws). Frozen parts run in eval mode."),
        (f"Profile {profile or '?'}: targets run: {', '.join(ran) if ran else 'none'}; "
         f"seeds per row: {', '.join(str(s) for s in seeds) if seeds else '–'}"
         + (" (± sample std over seeds)." if any(s > 1 for s in seeds) else
            " (one seed: no spread; conf/study runs three).")
         + " Training seconds per row (mean over seeds, this machine) are measured, so they vary "
           "run to run; reports/timings.json (adapt_seconds) keeps them too."),
    ]
    blocks = [html.table_html(
        target_table(long, t, inputs.adapt_timings), text=True,
        caption=(f"Adaptation recipes on {t} ({skeletons.get(t).num_keypoints} keypoints), "
                 f"profile {profile or '?'}: trainable parameters (count, share of the model) "
                 f"val metrics, mean ± std over seeds where more than one, and training seconds."))
        for t in skeletons.TRANSFER]
    return Section("adapt", "Adaptation recipes", HOW, tuple(notes), tuple(blocks), (),
                   {"adapt_recipes": long})
