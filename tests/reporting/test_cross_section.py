"""The cross-skeleton evidence section: tables, the diagonal / off-diagonal summary, the figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reportkit import PARAMS, make_inputs

from posebh.evaluation.instances import InstanceScores, metric
from posebh.reporting import cross_section, report


def cell(ap: float, pck: float) -> dict:
    return {"AP": ap, "PCK@0.1": pck, "n_images": 10}


MATRIX = {
    "baseline_ft": {"coco": {"coco": cell(0.5, 0.6), "aic": cell(0.2, 0.3)},
                    "aic": {"coco": cell(0.1, 0.2), "aic": cell(0.4, 0.5)}},
    "posebh": {"coco": {"coco": cell(0.5, 0.6), "aic": cell(0.3, 0.4)},
               "aic": {"coco": cell(0.1, 0.1), "aic": cell(0.4, 0.5)}},
}
AUDIT = {"posebh": {"aic": {"coco": {"pairs": 140, "candidates": 50, "kept": 20, "share_kept": 0.4,
                                     "scored": 18, "median_err_px": 3.0, "median_err_hm_px": 0.8,
                                     "share_within_d_thr": 0.9, "conf_thr": 0.25, "d_thr": 2.1}}}}
DATA = {"matrix": MATRIX, "css_audit": AUDIT, "notes": ["audit on val crops"]}


def test_matrix_table_flags_the_diagonal():
    df = cross_section.matrix_table(MATRIX)
    assert len(df) == 8 and list(df.columns[:4]) == ["model", "head", "source", "diagonal"]
    assert df[df["diagonal"]]["head"].tolist() == ["coco", "aic", "coco", "aic"]


def test_summary_means_and_paired_off_diagonal_difference():
    s = cross_section.summary(cross_section.matrix_table(MATRIX), "baseline_ft", "posebh")
    assert s.loc["baseline_ft", "diag AP"] == pytest.approx(45.0)
    assert s.loc["baseline_ft", "off-diag AP"] == pytest.approx(15.0)
    d = s.loc["posebh − baseline_ft"]
    assert d["off-diag AP"] == pytest.approx(5.0)  # (+10 on coco@aic, 0 on aic@coco) / 2
    assert d["off-diag PCK@0.1"] == pytest.approx(0.0)  # +10 and -10
    assert (d["off-diag cells"], d["cells where AP rises"]) == (2, 1)
    assert str(s["cells where AP rises"].dtype) == "Int64"  # a count, not 5.0


def test_section_publishes_both_csvs_and_an_inline_figure(tmp_path):
    sec = cross_section.section(make_inputs(tmp_path, cross_skeleton=DATA))
    assert sec is not None
    assert set(sec.tables) == {"cross_skeleton", "css_audit", "cross_skeleton_summary"}
    assert sec.figures[0].uri.startswith("data:image/png;base64,")
    assert "audit on val crops" in sec.notes
    audit = sec.tables["css_audit"]
    assert audit.iloc[0][["head", "source", "kept"]].tolist() == ["aic", "coco", 20]
    assert any("share_within_d_thr" in str(b) for b in sec.blocks)


def test_section_is_absent_without_results_and_listed_in_evidence(tmp_path):
    assert cross_section.section(make_inputs(tmp_path)) is None
    assert cross_section.section(make_inputs(tmp_path, cross_skeleton={
        "matrix": {}, "css_audit": {}, "notes": ["no hidden truth"]})) is None
    assert cross_section.section in report.EVIDENCE
    assert isinstance(cross_section.audit_table({}), pd.DataFrame)


def test_report_page_and_csvs_carry_the_section(tmp_path):
    from reportkit import PROV

    out = report.build(make_inputs(tmp_path, cross_skeleton=DATA), PROV)
    assert "Cross-skeleton evaluation on hidden truth" in out.html
    assert "tables/cross_skeleton.csv" in out.html
    assert set(out.evidence_tables) >= {"cross_skeleton", "css_audit"}


def oks_cell(oks: np.ndarray) -> InstanceScores:
    """One instance per image of the source; scores rank the instances by image."""
    n = len(oks)
    return InstanceScores("oks_ap", np.arange(n), oks=oks, score=np.linspace(1.0, 0.5, n),
                          ignored=np.zeros(n, bool), category=np.ones(n, np.int64))


def scored(shift: float) -> tuple[dict, dict]:
    """(matrix, stored scores) of baseline_ft and posebh on coco / aic heads and sources;
    posebh's off-diagonal OKS = baseline_ft's + ``shift`` on every image (diagonal: equal)."""
    rng = np.random.default_rng(0)
    matrix, cells = {}, {}
    base = {(h, s): rng.uniform(0.3, 0.95, 40) for h in ("coco", "aic") for s in ("coco", "aic")}
    for m, add in (("baseline_ft", 0.0), ("posebh", shift)):
        for (h, s), oks in base.items():
            inst = oks_cell(np.clip(oks + (add if h != s else 0.0), 0, 1))
            cells.setdefault(m, {}).setdefault(h, {})[s] = inst.to_dict()
            matrix.setdefault(m, {}).setdefault(h, {})[s] = cell(metric(inst) / 100, 0.5)
    return matrix, {"units": {"coco": 40, "aic": 40}, "cells": cells}


def section_of(tmp_path, matrix: dict, scores: dict):
    params = {**PARAMS, "seeds": {"resamples": 200, "level": 0.9}}
    return cross_section.section(make_inputs(tmp_path, cross_skeleton={"matrix": matrix},
                                             cross_scores=scores, params=params))


def test_summary_shows_the_paired_interval_and_calls_a_clear_rise(tmp_path):
    matrix, scores = scored(0.1)
    sec = section_of(tmp_path, matrix, scores)
    summ = sec.tables["cross_skeleton_summary"].set_index("model")
    diff = summ.loc["posebh − baseline_ft"]
    assert diff["verdict"] == "higher than baseline_ft"
    assert diff["off-diag AP 90 % interval"].startswith("[")  # the seeds parameters' level
    assert summ.loc["posebh", "verdict"] == ""
    ci = cross_section.intervals(scores, "baseline_ft", "posebh",
                                 cross_section.BootstrapConfig(200, 0.9))
    assert ci.loc["posebh − baseline_ft", "mean"] == pytest.approx(diff["off-diag AP"], abs=1e-9)
    assert ci.loc["posebh − baseline_ft", "low"] > 0
    note = next(n for n in sec.notes if n.startswith("Summary"))
    assert "200 bootstrap replicates" in note and "the interval excludes 0" in note
    assert "posebh is higher than baseline_ft" in note


def test_no_difference_is_called_when_the_interval_includes_zero(tmp_path):
    matrix, scores = scored(0.0)
    sec = section_of(tmp_path, matrix, scores)
    summ = sec.tables["cross_skeleton_summary"].set_index("model")
    assert summ.loc["posebh − baseline_ft", "verdict"] == "no detectable difference"
    assert summ.loc["posebh − baseline_ft", "off-diag AP 90 % interval"] == "[0.00, 0.00]"  # a difference: two decimals
    note = next(n for n in sec.notes if n.startswith("Summary"))
    assert "no detectable difference between posebh and baseline_ft" in note
    assert "the interval includes 0" in note


def test_without_scores_or_without_the_control_the_section_says_so(tmp_path):
    matrix, scores = scored(0.1)
    sec = section_of(tmp_path, matrix, {})
    assert "No interval: the stage wrote no per-instance scores." in " ".join(sec.notes)
    assert "verdict" not in sec.tables["cross_skeleton_summary"]
    only = {"units": scores["units"], "cells": {"posebh": scores["cells"]["posebh"]}}
    sec = section_of(tmp_path, {"posebh": matrix["posebh"]}, only)
    note = next(n for n in sec.notes if n.startswith("Summary"))
    assert "No interval for posebh − baseline_ft" in note
    summ = sec.tables["cross_skeleton_summary"].set_index("model")
    assert summ.loc["posebh", "off-diag AP 90 % interval"].startswith("[")
