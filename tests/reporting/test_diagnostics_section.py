"""The mechanism-diagnostics evidence section: built from the histories' diagnostic fields."""

from __future__ import annotations

from reportkit import PROV, make_inputs

from posebh.reporting import report
from posebh.reporting.diagnostics_section import css_pairs, diagnostics_table, section, summary


def _epoch(epoch: int, phase: int, css: bool) -> dict:
    h = {"epoch": epoch, "phase": phase, "loss": 0.01, "seconds": 1.0,
         "grad/ppc/embed": 1e-8 * (epoch + 1), "grad/phm/embed": 3e-7, "grad/total/embed": 4e-7,
         "value/ppc": 5e-7, "adam_step/embed": 0.4, "adam_step_noeps/embed": 0.9,
         "adam_rms/embed": 1.2e-8, "drift_init": 0.1, "drift_epoch": 0.1 if phase == 1 else 0.0,
         "pck/proto": 0.2, "pck/head": 0.8, "never_pixelled": 3.0, "diag_seconds": 0.5}
    if phase > 1:
        h.update({"grad/mse/heads": 0.02, "grad/css/heads": 1e-5 if css else 0.0})
    if css:
        h.update({"css_cand/coco/aic": 40.0, "css_kept/coco/aic": 7.0, "css_cand/aic/coco": 30.0,
                  "css_kept/aic/coco": 0.0, "css_cand_total": 70.0, "css_kept_total": 7.0})
    return h


HIST = [_epoch(0, 1, False), _epoch(1, 2, True), _epoch(2, 3, True)]


def test_section_draws_the_diagnosed_variants_and_publishes_every_epoch(tmp_path):
    plain = [{"epoch": 0, "loss": 0.01, "seconds": 1.0}]
    inputs = make_inputs(tmp_path, histories={"baseline": plain, "posebh": HIST, "proto": HIST[:2],
                                              "grid_F32": HIST})
    sec = section(inputs)
    assert sec is not None and sec.anchor == "diagnostics"
    assert len(sec.figures) == 2 + 2  # gradients, state, one CSS figure per CSS variant
    assert all(f.uri.startswith("data:image/png;base64,") and f.caption for f in sec.figures)
    table = sec.tables["diagnostics"]
    assert list(table.columns) == ["variant", "epoch", "phase", "measure", "value"]
    assert set(table["variant"]) == {"posebh", "proto", "grid_F32"}  # grid points: CSV only
    row = table[(table.variant == "posebh") & (table.epoch == 2) & (table.measure == "css_kept/coco/aic")]
    assert row["value"].tolist() == [7.0] and row["phase"].tolist() == [2]
    assert "loss" not in set(table["measure"]) and "grad/ppc/embed" in set(table["measure"])
    assert "Mechanism diagnostics" in sec.title and "Adam step/lr (embed)" in str(sec.blocks[0])


def test_section_is_absent_without_diagnostics(tmp_path):
    assert section(make_inputs(tmp_path)) is None


def test_report_writes_the_diagnostics_csv_and_page_section(tmp_path):
    out = report.build(make_inputs(tmp_path, histories={"posebh": HIST}), PROV)
    assert "diagnostics" in out.evidence_tables and len(out.evidence_tables["diagnostics"]) > 0
    assert "Mechanism diagnostics" in out.html and "tables/diagnostics.csv" in out.html


def test_summary_and_css_pairs_read_the_last_epoch():
    s = summary({"posebh": HIST})
    assert s.loc["posebh", "Adam step/lr (embed)"] == 0.4 and s.loc["posebh", "CSS kept"] == 7.0
    assert css_pairs(HIST) == [("aic", "coco"), ("coco", "aic")]
    assert diagnostics_table({}).empty
