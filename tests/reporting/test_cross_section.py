"""The cross-skeleton evidence section: tables, the diagonal / off-diagonal summary, the figure."""

from __future__ import annotations

import pandas as pd
import pytest
from reportkit import make_inputs

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


def test_section_publishes_both_csvs_and_an_inline_figure(tmp_path):
    sec = cross_section.section(make_inputs(tmp_path, cross_skeleton=DATA))
    assert sec is not None and set(sec.tables) == {"cross_skeleton", "css_audit"}
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
