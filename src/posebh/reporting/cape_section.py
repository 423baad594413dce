"""Evidence section: unseen skeletons (CAPE) - few-shot keypoints of novel skeletons from frozen
features, PCK@0.2 per matcher and shot count, paired differences, POMNet's Table 1 beside them.

Reads what ``runs.cape_eval.cape_evaluate`` returns (``reports/metrics/cape.json``, percent):
``{protocol, matchers: {name: {"<k>-shot": {mean, episode_std, episodes, per_split,
per_category, ...}}}, differences: [{matcher, control, shots, diff, low, high, episodes, level,
excludes_zero}], experts, instances}``; ``{}`` where the profile has no MP-100-format data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from posebh.reporting import html
from posebh.reporting.sections import Section

if TYPE_CHECKING:
    from posebh.reporting.report import ReportInputs

LITERATURE_SOURCE = "literature, MP-100 (a different dataset)"
# POMNet (Xu et al., ECCV 2022) Table 1: MP-100 PCK@0.2, splits 1-5 and their mean; ResNet-50.
POMNET_TABLE1: dict[int, dict[str, tuple[float, ...]]] = {
    5: {"ProtoNet": (60.31, 53.51, 61.92, 58.44, 58.61, 58.56),
        "MAML": (70.03, 55.98, 63.21, 64.79, 58.47, 62.50),
        "Fine-tune": (71.67, 57.84, 66.76, 66.53, 60.24, 64.61),
        "POMNet": (84.72, 79.61, 78.00, 80.38, 80.85, 80.71)},
    1: {"ProtoNet": (46.05, 40.84, 49.13, 43.34, 44.54, 44.78),
        "MAML": (68.14, 54.72, 64.19, 63.24, 57.20, 61.50),
        "Fine-tune": (70.60, 57.04, 66.06, 65.00, 59.20, 63.58),
        "POMNet": (84.23, 78.25, 78.17, 78.68, 79.17, 79.70)},
}
MEAN_STD = "PCK@0.2 mean ± episode std"
HOW = ("a row is a matcher (model / frozen features; finetune = a new head trained on the "
       "supports) at K supports; cells are PCK@0.2 in % on skeletons no model saw in training, "
       "higher is better; ± is the spread over episodes; the literature rows are POMNet's numbers "
       "on MP-100, a different dataset, for scale only.")


def _shots(key: str) -> int:
    return int(key.split("-")[0])


def literature_rows() -> list[dict]:
    """POMNet's Table 1 as rows of the summary table (splits as split1..split5)."""
    return [{"shots": k, "matcher": name, "source": LITERATURE_SOURCE,
             **{f"split{i + 1}": v for i, v in enumerate(vals[:5])}, "mean": vals[5],
             "episode_std": float("nan"), "episodes": pd.NA}
            for k in sorted(POMNET_TABLE1, reverse=True) for name, vals in POMNET_TABLE1[k].items()]


def summary_table(metrics: dict, profile: str) -> pd.DataFrame:
    """The ``cape_summary`` CSV: one row per (shots, matcher) of this run, then the literature."""
    rows = [{"shots": _shots(key), "matcher": name, "source": f"this run ({profile})",
             **m["per_split"], "mean": m["mean"], "episode_std": m["episode_std"],
             "episodes": m["episodes"]}
            for name, by_shots in metrics.get("matchers", {}).items()
            for key, m in by_shots.items()]
    rows.sort(key=lambda r: -r["shots"])  # 5-shot first, as POMNet's table (stable in matchers)
    df = pd.DataFrame(rows + literature_rows())
    splits = sorted(c for c in df.columns if c.startswith("split"))
    return df[["shots", "matcher", "source", *splits, "mean", "episode_std", "episodes"]]


def display_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The page's table: (shots, matcher) rows, mean ± std as text, splits as numbers."""
    out = summary.copy()
    out[MEAN_STD] = [html.number(m, 1) + ("" if pd.isna(s) else f" ± {html.number(s, 1)}")
                     for m, s in zip(out["mean"], out["episode_std"])]
    out["shots"] = [f"{k}-shot" for k in out["shots"]]
    splits = [c for c in out.columns if c.startswith("split")]
    return out.set_index(["shots", "matcher"])[["source", MEAN_STD, *splits]]


def category_table(metrics: dict) -> pd.DataFrame:
    """The ``cape`` CSV: PCK@0.2 per (matcher, shots, split, category), with the expert used."""
    experts = metrics.get("experts", {})
    rows = [{"matcher": name, "shots": _shots(key), "split": split, "category": cat,
             "expert": experts.get(split, {}).get(cat, ""), "pck": v}
            for name, by_shots in metrics.get("matchers", {}).items()
            for key, m in by_shots.items()
            for split, cats in m["per_category"].items() for cat, v in cats.items()]
    return pd.DataFrame(rows, columns=["matcher", "shots", "split", "category", "expert", "pck"])


def verdict(d: dict) -> str:
    """A difference in words: called only when its interval excludes 0."""
    if d["low"] > 0:
        return f"the interval excludes 0: {d['matcher']} is higher"
    if d["high"] < 0:
        return f"the interval excludes 0: {d['matcher']} is lower"
    return "the interval includes 0: no detectable difference"


def differences_table(metrics: dict) -> pd.DataFrame:
    """The ``cape_differences`` CSV: paired differences (points of PCK) with their intervals."""
    rows = [{"comparison": f"{d['matcher']} − {d['control']}", "shots": d["shots"],
             "difference": d["diff"], "low": d["low"], "high": d["high"],
             "level": d["level"], "episodes": d["episodes"], "verdict": verdict(d)}
            for d in metrics.get("differences", [])]
    return pd.DataFrame(rows, columns=["comparison", "shots", "difference", "low", "high", "level",
                                       "episodes", "verdict"])


def _difference_view(diffs: pd.DataFrame) -> pd.DataFrame:
    view = diffs.assign(
        shots=[f"{k}-shot" for k in diffs["shots"]],
        interval=[f"[{html.number(lo, 1, signed=True)}, {html.number(hi, 1, signed=True)}]"
                  for lo, hi in zip(diffs["low"], diffs["high"])],
        difference=[html.number(v, 1, signed=True) for v in diffs["difference"]])
    level = f"{100 * float(diffs['level'].iloc[0]):g} % interval" if len(diffs) else "interval"
    return view.rename(columns={"interval": level}).set_index(["comparison", "shots"])[
        ["difference", level, "episodes", "verdict"]]


def _notes(metrics: dict, profile: str) -> list[str]:
    p = metrics["protocol"]
    experts = sorted({s for cats in metrics.get("experts", {}).values() for s in cats.values()})
    n_cats = sum(len(c) for c in metrics.get("instances", {}).values())
    notes = [
        (f"This run ({profile} profile): {n_cats} novel categories in {len(p['splits'])} splits "
        f"({p['part']} part), {p['num_episodes']} episodes per category and shot count "
        f"({p['finetune_episodes']} for the fine-tune matchers: the first of the same draws), "
        f"{p['num_queries']} queries each, seed {p['seed']}. A keypoint counts where it is visible "
        "in the query and in every support; correct iff its error is < 0.2 max(w, h) of the "
        "query's box; category mean, then split mean, then the mean of the splits (POMNet's "
        f"'Mean'). Backbone experts and heads used per category domain: {', '.join(experts)}."),
        ("Differences are paired: every matcher sees the same episodes. Intervals are percentile "
        "bootstrap intervals over episodes (seed 0); they cover the episode draw only, not the "
        "choice of categories or of training seeds."),
    ]
    for d in metrics.get("differences", []):
        notes.append(f"{d['matcher']} − {d['control']}, {d['shots']}-shot: "
                     f"{html.number(d['diff'], 1, signed=True)} points "
                     f"[{html.number(d['low'], 1, signed=True)}, "
                     f"{html.number(d['high'], 1, signed=True)}] over {d['episodes']} episodes: "
                     f"{verdict(d)}.")
    return notes


LITERATURE_NOTE = (f"Rows marked '{LITERATURE_SOURCE}': POMNet's Table 1 (Xu et al., ECCV 2022), "
                   "ResNet-50 models trained on MP-100's base categories, 3,000 episodes per novel "
                   "category; their ProtoNet and Fine-tune are the counterparts of this run's "
                   "prototype and finetune matchers. MP-100 is a different dataset: the rows give "
                   "the scale, not a cell-by-cell comparison.")

NOT_RUN = ("Not run: this profile has no MP-100-format data (the cape stage found no annotation "
           "files and wrote empty metrics), so only the literature rows are shown.")


def section(inputs: ReportInputs) -> Section:
    """The CAPE section; a 'not run' note (and the literature rows) without metrics."""
    metrics = inputs.cape or {}
    profile = str((inputs.params.get("report") or {}).get("profile", ""))
    summary = summary_table(metrics, profile)
    caption = ("PCK@0.2 (%) on unseen skeletons per matcher and shot count, per split and mean "
               "of the splits (± std over episodes); literature rows: POMNet Table 1 on MP-100.")
    title = "Unseen skeletons (CAPE)"
    if not metrics.get("matchers"):
        return Section("cape", title, HOW,
                       (NOT_RUN, LITERATURE_NOTE),
                       (html.table_html(display_table(summary), precision=1, caption=caption),),
                       tables={"cape_summary": summary})
    diffs = differences_table(metrics)
    blocks = [html.table_html(display_table(summary), precision=1, caption=caption),
              html.table_html(_difference_view(diffs), text=True,
                              caption="Paired differences of overall PCK@0.2 (points) over the "
                                      "same episodes, with percentile bootstrap intervals.")]
    return Section("cape", title, HOW, (*_notes(metrics, profile), LITERATURE_NOTE),
                   tuple(blocks), (), {"cape": category_table(metrics), "cape_summary": summary,
                                       "cape_differences": diffs})
