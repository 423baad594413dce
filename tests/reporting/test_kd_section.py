"""The 'Teacher-based vs teacher-free' section (issue #17): tables, the paired intervals of KD and
PoseBH against the control, the closing note, the literature rows, the 'not run' rendering."""

from __future__ import annotations

import numpy as np
import pytest
from reportkit import BASELINE, PARAMS, POSEBH, PROV, make_inputs

from posebh.evaluation.instances import InstanceScores, metric
from posebh.reporting import kd_section, report
from posebh.runs import kd as kd_run

HEADS = ("coco", "aic")


def oks_cell(oks: np.ndarray) -> InstanceScores:
    n = len(oks)
    return InstanceScores("oks_ap", np.arange(n), oks=oks, score=np.linspace(1.0, 0.5, n),
                          ignored=np.zeros(n, bool), category=np.ones(n, np.int64))


def scored(shifts: dict[str, float]) -> tuple[dict, dict]:
    """(matrix, {units, cells}) of each model; its off-diagonal OKS = a shared draw + shift."""
    rng = np.random.default_rng(0)
    base = {(h, s): rng.uniform(0.3, 0.9, 40) for h in HEADS for s in HEADS}
    matrix, cells = {}, {}
    for m, add in shifts.items():
        for (h, s), oks in base.items():
            inst = oks_cell(np.clip(oks + (add if h != s else 0.0), 0, 1))
            cells.setdefault(m, {}).setdefault(h, {})[s] = inst.to_dict()
            matrix.setdefault(m, {}).setdefault(h, {})[s] = {"AP": metric(inst) / 100,
                                                             "PCK@0.1": 0.5, "n_images": 40}
    return matrix, {"units": {h: 40 for h in HEADS}, "cells": cells}


def kd_inputs(tmp_path, kd_shift: float = 0.15, units: int = 40, **extra):
    cross_m, cross_s = scored({"baseline_ft": 0.0, "posebh": 0.0})
    kd_m, kd_s = scored({kd_section.STUDENT: kd_shift, kd_section.ABLATION: 0.0})
    kd_s["units"] = {h: units for h in HEADS}
    teacher = {d: {d: BASELINE[d]} for d in ("coco", "aic", "mpii")}
    kd = {"per_dataset": {kd_section.STUDENT: POSEBH, kd_section.ABLATION: BASELINE,
                          **{kd_section.TEACHER.format(d): m for d, m in teacher.items()}},
          "matrix": kd_m, "notes": ["kd stage note"],
          "setup": {"teachers": ["coco", "aic", "mpii"], "alpha": 0.3, "beta_rule": "instance_share",
                    "betas": {"coco": 0.3, "aic": 0.3, "mpii": 0.1}, "union_keypoints": 35,
                    "teacher_epochs": {"coco": 3, "aic": 3, "mpii": 3}, "student_steps": 282}}
    timings = {"teachers": {d: {"train_seconds": 10.0, "steps": 138} for d in teacher},
               "students": {kd_section.STUDENT: {"steps": 282, "teacher_forwards": 846,
                                                 "teacher_images": 20000, "teacher_seconds": 5.0,
                                                 "train_seconds": 40.0, "batch_size": 32,
                                                 "images_by_teacher": {"coco": 7000}},
                            kd_section.ABLATION: {"train_seconds": 25.0}}}
    params = {**PARAMS, "train": {"epochs": 10}, "seeds": {"resamples": 200, "level": 0.9}}
    fields = {"cross_skeleton": {"matrix": cross_m}, "cross_scores": cross_s, "kd": kd,
              "kd_scores": kd_s, "kd_timings": timings, "params": params,
              "metrics": {"baseline": BASELINE, "baseline_ft": BASELINE, "posebh": POSEBH}}
    return make_inputs(tmp_path, **{**fields, **extra})


def test_the_model_names_are_the_kd_stages():
    assert (kd_section.STUDENT, kd_section.ABLATION, kd_section.TEACHER) == (
        kd_run.STUDENT, kd_run.ABLATION, kd_run.TEACHER)


def test_per_dataset_table_puts_students_and_teachers_beside_the_variants(tmp_path):
    table = kd_section.per_dataset_table(kd_inputs(tmp_path))
    assert list(table.columns) == ["baseline", "baseline_ft", "posebh", "KD student",
                                   "α = 1 student (no teachers)", "teacher (own dataset)"]
    assert table.loc["COCO AP", "KD student"] == pytest.approx(100 * POSEBH["coco"]["AP"])
    assert table.loc["MPII PCKh", "teacher (own dataset)"] == pytest.approx(90.0)
    assert np.isnan(table.loc["AP-10K AP", "teacher (own dataset)"])  # no AP-10K teacher ran


def test_summary_pairs_kd_and_posebh_against_the_control_and_calls_the_winner(tmp_path):
    sec = kd_section.section(kd_inputs(tmp_path))
    summ = sec.tables["kd_cross_skeleton_summary"].set_index("model")
    assert summ.loc["kd_student − baseline_ft", "verdict"] == "higher than baseline_ft"
    assert summ.loc["posebh − baseline_ft", "verdict"] == "no detectable difference"
    assert summ.loc["kd_student − posebh", "verdict"] == "higher than posebh"
    assert summ.loc["kd_student − kd_alpha1", "verdict"] == "higher than kd_alpha1"
    close = next(n for n in sec.notes if n.startswith("Closing note"))
    assert "KD fills them better than posebh's CSS" in close and "3 extra trainings" in close
    assert "3.0 extra forward passes per student step" in close
    same = kd_section.section(kd_inputs(tmp_path, kd_shift=0.0))
    close = next(n for n in same.notes if n.startswith("Closing note"))
    assert "neither KD nor posebh's CSS fills them detectably better" in close


def test_setup_note_states_the_reduced_teacher_recipe_and_the_beta_rule(tmp_path):
    note = kd_section.setup_note(kd_inputs(tmp_path))
    assert "3 epochs each, a reduced recipe" in note and "is 10 epochs" in note
    assert "training instances" in note and "35 points" in note
    assert "Profile unit" in note


def test_cost_table_counts_per_student_step(tmp_path):
    inputs = kd_inputs(tmp_path)
    cost = kd_section.cost_table(inputs.kd, inputs.kd_timings).set_index("item")["value"]
    assert cost["teacher forward passes per student step"] == 3.0
    assert cost["teacher training steps (all teachers)"] == 3 * 138
    assert cost["teacher forward GFLOPs per student step"] == pytest.approx(0.05 * 7000 / 282)


def test_scores_of_other_images_give_no_interval_and_say_why(tmp_path):
    sec = kd_section.section(kd_inputs(tmp_path, units=41))
    assert any("No interval: the two stages scored different images of aic, coco" in n
               for n in sec.notes)
    assert "verdict" not in sec.tables["kd_cross_skeleton_summary"]
    assert any(n.startswith("Closing note: no paired interval") for n in sec.notes)


def test_not_run_renders_a_section_that_says_so_with_the_literature(tmp_path):
    sec = kd_section.section(make_inputs(tmp_path))
    assert sec.notes[0].startswith("Not run")
    lit = sec.tables["kd_literature"]
    assert lit["COCO AP"].tolist() == [19.82, 60.69, 62.03, 21.86, 67.14, 68.63]
    assert "Literature (reference only" in str(sec.blocks[0])
    assert kd_section.section in report.EVIDENCE


def test_report_page_and_csvs_carry_the_section(tmp_path):
    out = report.build(kd_inputs(tmp_path), PROV)
    assert "Teacher-based vs teacher-free cross-dataset supervision" in out.html
    assert "How to read" in out.html or "how to read" in out.html.lower()
    assert {"kd_per_dataset", "kd_cost", "kd_literature", "kd_cross_skeleton_summary"} <= set(
        out.evidence_tables)
    assert "metrics/kd.json" in out.html
    assert "&lt;NA&gt;" not in out.html  # a count column's missing cells print as '–'
