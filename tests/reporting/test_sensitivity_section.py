"""The sensitivity section: sweep points against the headline variant's default, not-run points named."""

from __future__ import annotations

from reportkit import POSEBH, make_inputs

from posebh.reporting import sensitivity_section

SWEEPS = {
    "grid:protow_1e4": {"kind": "grid", "grid": {"table": None, "param": "prototype_weight_scale",
                                                 "value": 1.0e4}},
    "grid:zeta_1": {"kind": "grid", "grid": {"table": None, "param": "zeta", "value": 1.0}},
}


def _coco(ap: float) -> dict:
    return {**POSEBH, "coco": {**POSEBH["coco"], "AP": ap}}


def test_run_points_join_the_default_and_missing_points_are_named(tmp_path):
    base = make_inputs(tmp_path)
    inputs = make_inputs(tmp_path, variants={**base.variants, **SWEEPS},
                         metrics={**base.metrics, "grid:protow_1e4": _coco(0.9)},
                         params={**base.params, "method": {"zeta": 1e-3, "css_start": 0.5}})
    sec = sensitivity_section.section(inputs)
    table = sec.tables["sensitivity"]
    coco = table[(table["param"] == "prototype_weight_scale") & (table["dataset"] == "coco")]
    assert coco.set_index("value")["value_metric"].to_dict() == {
        1.0: 100 * POSEBH["coco"]["AP"], 1.0e4: 90.0}
    assert "grid:zeta_1" in " ".join(str(n) for n in sec.notes)  # listed as not run
    assert sec.figures  # a point ran: the curves are drawn


def test_no_sweep_defined_no_section(tmp_path):
    assert sensitivity_section.section(make_inputs(tmp_path)) is None
