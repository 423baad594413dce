"""Evidence section: teacher-based (unified-skeleton multi-teacher KD, issue #17) vs teacher-free
(PoseBH's CSS) cross-dataset supervision.

Reads what the ``kd`` stage writes: ``reports/metrics/kd.json`` ({per_dataset, matrix, setup,
notes}), its per-instance cross-skeleton scores and ``data/08_reporting/kd_timings.json``
(teacher cost, wall seconds); next to the report's own metrics (baseline, baseline_ft, posebh,
unidet) and the ``cross_skeleton`` stage's matrix and scores, for the paired bootstrap of the
off-diagonal means (``cross_section.intervals``). The KD paper's numbers (``kd_section.yaml``)
are literature rows: another data set and model family.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from posebh.evaluation.bootstrap import BootstrapConfig, direction
from posebh.reporting import compare, cross_section, figures, html
from posebh.reporting.sections import Figure, Section

if TYPE_CHECKING:
    from posebh.reporting.report import ReportInputs

STUDENT, ABLATION, TEACHER = "kd_student", "kd_alpha1", "kd_teacher_{}"  # = posebh.runs.kd's
REFERENCE = ("baseline", "baseline_ft", "posebh", "unidet")  # report variants shown beside
LABELS = {STUDENT: "KD student", ABLATION: "α = 1 student (no teachers)",
          "teachers": "teacher (own dataset)"}
LITERATURE = Path(__file__).with_name("kd_section.yaml")
HOW = ("compare the KD student with posebh: both fill the keypoints an image's own dataset does "
       "not label, KD from frozen single-dataset teachers, PoseBH's CSS without any; the "
       "off-diagonal rows are that filling scored against hidden truth.")


@cache
def literature() -> dict:
    """The KD paper's reference rows (``kd_section.yaml``)."""
    return yaml.safe_load(LITERATURE.read_text(encoding="utf-8"))


def literature_table() -> pd.DataFrame:
    cols = {"model": "model", "training": "training", "distillation": "distillation",
            "mpii_pckh": "MPII PCKh", "coco_ap": "COCO AP", "avg": "Avg",
            "halpe_ap": "Halpe AP (all 21 points)", "table": "paper table"}
    rows = [{label: r.get(key) for key, label in cols.items()} for r in literature()["rows"]]
    return pd.DataFrame(rows, columns=list(cols.values()))


def _teacher_run(kd: dict) -> dict:
    """{dataset: metrics of that dataset's teacher}: one run, walked as a model's headlines."""
    per = kd.get("per_dataset", {})
    return {d: per[TEACHER.format(d)][d] for d in kd.get("setup", {}).get("teachers", [])
            if d in per.get(TEACHER.format(d), {})}


def per_dataset_table(inputs: ReportInputs) -> pd.DataFrame:
    """Headline metric (report scale) per dataset (rows) and model (columns), on GT boxes (the
    kd stage scores no detector boxes, so neither does this table); NaN where absent."""
    per = (inputs.kd or {}).get("per_dataset", {})
    runs = {v: inputs.metrics[v] for v in REFERENCE if v in inputs.metrics}
    runs |= {LABELS[m]: per[m] for m in (STUDENT, ABLATION) if m in per}
    if _teacher_run(inputs.kd or {}):
        runs[LABELS["teachers"]] = _teacher_run(inputs.kd)
    mapping = compare.load_mapping()
    rows = {label: {name: compare.metric_value(metric, run, mapping)  # GT boxes for every model
                    for name, run in runs.items()}
            for label, metric in mapping["headline"].items()}
    return pd.DataFrame(rows).T[list(runs)].astype(float)


def pairs(control: str, headline: str) -> list[tuple[str, str]]:
    """The differences shown: KD and PoseBH each against the control, KD against PoseBH, and
    the distillation on/off ablation."""
    return [(STUDENT, control), (headline, control), (STUDENT, headline), (STUDENT, ABLATION)]


def merged_scores(cross: dict, kd: dict) -> tuple[dict, str]:
    """Both stages' per-instance scores in one {units, cells}, and a note when they cannot pair
    (another image subset or val set): then no interval."""
    units, kd_units = cross.get("units", {}), kd.get("units", {})
    clash = sorted(s for s in set(units) & set(kd_units) if units[s] != kd_units[s])
    if clash or not units or not kd_units:
        why = (f"the two stages scored different images of {', '.join(clash)}" if clash else
               "a stage wrote no per-instance scores")
        return {}, f"No interval: {why}."
    return {"units": units, "cells": {**cross.get("cells", {}), **kd.get("cells", {})}}, ""


def cross_tables(inputs: ReportInputs, cfg: BootstrapConfig
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """(long matrix of the reference models and both students, summary, intervals, note)."""
    ab = inputs.ablation
    nested = {**(inputs.cross_skeleton or {}).get("matrix", {}), **inputs.kd.get("matrix", {})}
    matrix = cross_section.matrix_table(nested)
    if matrix.empty:
        return matrix, pd.DataFrame(), pd.DataFrame(), ""
    scores, note = merged_scores(inputs.cross_scores or {}, inputs.kd_scores or {})
    shown = pairs(ab.control, ab.headline)
    ci = (cross_section.intervals(scores, ab.control, ab.headline, cfg, shown) if scores
          else pd.DataFrame())
    summ = cross_section.summary(matrix, ab.control, ab.headline, ci, cfg.level, shown)
    return matrix, summ, ci, note


def cost_table(kd: dict, timings: dict) -> pd.DataFrame:
    """What the teachers cost: trainings, steps, extra forwards and their FLOPs per student step,
    and wall seconds (this machine; they vary run to run)."""
    teachers = timings.get("teachers", {})
    student = timings.get("students", {}).get(STUDENT, {})
    plain = timings.get("students", {}).get(ABLATION, {})
    per = kd.get("per_dataset", {})
    steps = max(int(student.get("steps", 0)), 1)
    gflops = sum(per.get(TEACHER.format(t), {}).get(t, {}).get("GFLOPs", 0.0) * n
                 for t, n in student.get("images_by_teacher", {}).items()) / steps
    own = per.get(STUDENT, {}).get("coco", {}).get("GFLOPs")
    rows = [
        ("teachers trained from scratch", len(teachers), "count"),
        ("teacher training steps (all teachers)", sum(t.get("steps", 0) for t in teachers.values()),
         "count"),
        ("teacher forward passes per student step", student.get("teacher_forwards", 0) / steps,
         "count"),
        ("teacher images per student step", student.get("teacher_images", 0) / steps, "count"),
        ("teacher forward GFLOPs per student step", gflops, "GFLOPs"),
        ("student forward GFLOPs per step (batch x one head)",
         None if own is None else own * student.get("batch_size", 0), "GFLOPs"),
        ("teacher training, wall s", sum(t.get("train_seconds", 0.0) for t in teachers.values()),
         "s (varies)"),
        ("teacher forwards during the KD student's training, wall s",
         student.get("teacher_seconds"), "s (varies)"),
        ("KD student training, wall s", student.get("train_seconds"), "s (varies)"),
        ("α = 1 student training, wall s", plain.get("train_seconds"), "s (varies)"),
    ]
    return pd.DataFrame(rows, columns=["item", "value", "unit"])


def _value(v: float | None) -> str:
    """A cost value as text: whole numbers without decimals, others with two; '–' if absent."""
    if v is None or pd.isna(v):
        return "–"
    return f"{int(v)}" if float(v).is_integer() else html.number(float(v), 2)


def setup_note(inputs: ReportInputs) -> str:
    """What ran, in one paragraph: teachers and their (reduced?) recipe, the loss, the union."""
    s = inputs.kd.get("setup", {})
    epochs = sorted(set(s.get("teacher_epochs", {}).values()))
    full = (inputs.params.get("train") or {}).get("epochs")
    recipe = (f"{'/'.join(map(str, epochs))} epochs each" if epochs else "no epochs recorded")
    if full is not None and epochs and max(epochs) < int(full):
        recipe += (f", a reduced recipe: the scratch recipe (the aic_only variant's) is {full} "
                   "epochs; conf/study trains them fully")
    betas = ", ".join(f"{t} {b:.3f}" for t, b in s.get("betas", {}).items())
    rule = ("the paper's values" if s.get("beta_rule") == "instance_share"
            and set(s.get("betas", {})) == {"coco", "mpii"} else
            "1 − α split by each teacher's training instances (our rule beyond the paper's two "
            "datasets)" if s.get("beta_rule") == "instance_share" else "kd.betas")
    where = ("every image" if s.get("distil_across_domains") else
             "the images of its own domain (human or animal)")
    return (f"Profile {(inputs.params.get('report') or {}).get('profile', '?')}. Teachers: one "
            f"single-dataset model per dataset ({', '.join(s.get('teachers', []))}), trained from "
            f"scratch on that dataset alone ({recipe}). Students: the baseline with one head over "
            f"the union skeleton ({s.get('union_keypoints', '?')} points; identically named points "
            f"of one domain merged, as the paper's 21-point COCO + MPII skeleton), fine-tuned "
            f"{s.get('student_steps', '?')} steps like the unidet plain fine-tune (as long as "
            f"baseline_ft). KD student: L = α·L_CK + (1 − α)·Σ β_j·KL(student ‖ teacher j) on "
            f"spatial softmaxes, α = {s.get('alpha', '?')}, β: {betas or '–'} ({rule}); each "
            f"teacher distils on {where}. α = 1 student: the masked loss alone, no teacher.")


def verdict(ci: pd.DataFrame, control: str, headline: str, cost: pd.DataFrame) -> str:
    """The closing note: which of CSS and KD fills the missing keypoints better, at what cost."""
    kd_vs, css_vs, kd_css = (f"{STUDENT} − {control}", f"{headline} − {control}",
                             f"{STUDENT} − {headline}")
    if ci.empty or kd_css not in ci.index:
        return ("Closing note: no paired interval of the KD student against "
                f"{headline} in this run, so no call on which fills missing keypoints better.")

    def said(name: str, ref: str) -> str:
        if name not in ci.index:
            return f"{name}: not run"
        r = ci.loc[name]
        return (f"{name} {html.number(r['mean'], 2, signed=True)} "
                f"{cross_section.interval_text(r['low'], r['high'], 2)} "
                f"({direction(r['low'], r['high'], ref)})")

    values = dict(zip(cost["item"], cost["value"]))
    r = ci.loc[kd_css]
    call = direction(r["low"], r["high"], headline)
    who = (f"KD fills them better than {headline}'s CSS" if call.startswith("higher") else
           f"{headline}'s CSS fills them better than KD" if call.startswith("lower") else
           f"neither KD nor {headline}'s CSS fills them detectably better than the other")
    return (f"Closing note: on the off-diagonal cells (a head on another dataset's images, "
            f"against hidden truth), {who}: {said(kd_css, headline)}; {said(kd_vs, control)}; "
            f"{said(css_vs, control)}. KD's cost: "
            f"{_value(values.get('teachers trained from scratch'))} extra trainings "
            f"({_value(values.get('teacher training steps (all teachers)'))} steps) "
            f"and {html.number(values.get('teacher forward passes per student step'), 1)} extra "
            f"forward passes per student step; CSS needs neither.")


def section(inputs: ReportInputs) -> Section:
    """The section; with nothing from the ``kd`` stage, a 'not run' section saying so."""
    title = "Teacher-based vs teacher-free cross-dataset supervision"
    lit = html.table_html(literature_table(), precision=2, text=True, index=False,
                          caption=f"Literature (reference only, different data and models): "
                                  f"{literature()['source']}.")
    if not (inputs.kd or {}).get("per_dataset"):
        not_run = ("Not run: the kd stage wrote no results for this report "
                   "(reports/metrics/kd.json is absent or empty).")
        return Section("kd", title, HOW, (not_run,),
                       (lit,), (), {"kd_literature": literature_table()})
    p = inputs.params.get("seeds") or {}
    cfg = BootstrapConfig(int(p.get("resamples", 1000)), float(p.get("level", 0.95)))
    ab = inputs.ablation
    per = per_dataset_table(inputs)
    matrix, summ, ci, no_ci = cross_tables(inputs, cfg)
    cost = cost_table(inputs.kd, inputs.kd_timings or {})
    notes = [setup_note(inputs), *inputs.kd.get("notes", [])]
    blocks = [html.table_html(per, precision=1, caption="Headline metric per dataset (%, AP x100, "
                              "GT boxes): "
                              "the report's variants beside the KD student, its α = 1 ablation "
                              "and each dataset's own teacher.")]
    if not matrix.empty:
        notes.append("Cross-skeleton summary: mean over cells, x100; a difference row averages "
                     "the paired off-diagonal differences (one seed); intervals as in the "
                     f"cross-skeleton section ({int(100 * cfg.level)} %, {cfg.resamples} "
                     f"replicates over val images). {no_ci}".strip())
        blocks.append(html.table_html(summ, precision=1, caption="Diagonal vs off-diagonal AP "
                                      "and PCK@0.1 of the hidden-truth cross-skeleton matrix, "
                                      "with the paired differences KD − control, PoseBH − "
                                      "control, KD − PoseBH and KD − (α = 1)."))
        notes.append(verdict(ci, ab.control, ab.headline, cost))
    else:
        notes.append("No cross-skeleton comparison: the kd stage scored no hidden truth in "
                     "this run (its note above says why).")
    shown_cost = cost.assign(value=[_value(v) for v in cost["value"]]).set_index("item")
    blocks.append(html.table_html(shown_cost, text=True,
                                  caption="Teacher cost: deterministic counts, and wall seconds "
                                          "of this run on this machine (they vary run to run)."))
    blocks.append(lit)
    shown = matrix[matrix["model"].isin([ab.control, ab.headline, STUDENT, ABLATION])]
    figs = (Figure(figures.to_data_uri(cross_section.heatmap(shown)),
                   "OKS AP x100 of each head (row) on each source's val images (column) against "
                   "the hidden truth; bold = own dataset.", "KD cross-skeleton AP matrices"),
            ) if not shown.empty else ()
    tables = {"kd_per_dataset": per.reset_index(names="metric"), "kd_cost": cost,
              "kd_literature": literature_table()}
    if not matrix.empty:
        tables |= {"kd_cross_skeleton": matrix, "kd_cross_skeleton_summary": summ.reset_index()}
    return Section("kd", title, HOW, tuple(notes), tuple(blocks), figs, tables)
