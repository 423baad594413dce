"""Tables 1-3: paper | released weights evaluated here | trained here, and a protocol on every number."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from reportkit import BASELINE, PARAMS, POSEBH, PROV, VARIANTS, make_inputs

from posebh.reporting import compare, html, report
from posebh.reporting.protocols import run_protocols

EVAL = {"flip_test": True, "dark": None, "engine": "hotcoco"}
DETECTOR = {"AP": 0.77, "AP50": 0.9, "AP75": 0.84, "AR": 0.826}
RELEASED = {
    "vitpose+_base": {"status": "evaluated", "path": "data/01_raw/weights/vitpose+_base.pth",
                      "source": "https://github.com/ViTAE-Transformer/ViTPose",
                      "metrics": copy.deepcopy(BASELINE), "detector_metrics": {"coco": DETECTOR},
                      "protocol": {"coco": "val split; detector boxes; flip test on",
                                   "aic": "val split; GT boxes; flip test on",
                                   "mpii": "val split; GT boxes; PCKh"}},
    "posebh_base": {"status": "not provided", "path": "data/01_raw/weights/posebh/base.pth",
                    "source": "https://github.com/uyoung-jeong/PoseBH"},
}


def _table(number: int, released: dict = RELEASED, evaluation: dict = EVAL) -> compare.Comparison:
    metrics = {"baseline": BASELINE, "posebh": POSEBH}
    results = compare.runs(metrics, {}, released)
    protos = run_protocols(metrics, {}, released, evaluation, "unit")
    return compare.compare_table(number, results, VARIANTS, "", protocols=protos)


def _cell(c: compare.Comparison, row: str, column: str) -> dict:
    rows = c.cells[(c.cells.row == row) & (c.cells.column == column)]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def test_released_values_sit_beside_the_paper_and_trained_values():
    t1 = _table(1)
    vit = _cell(t1, "ViTPose++", "COCO")
    assert vit["released"] == pytest.approx(77.0)  # COCO: the detector-box number (paper protocol)
    assert vit["released_delta"] == pytest.approx(0.0) and vit["released_status"] == "ok"
    assert vit["this_run"] == pytest.approx(100 * BASELINE["coco"]["AP"])  # trained: GT boxes
    assert vit["released_protocol"] == "unit profile; val split; detector boxes; flip test on"
    aic = _cell(t1, "ViTPose++", "AIC")
    assert aic["released"] == pytest.approx(100 * BASELINE["aic"]["AP"])
    gflops = _cell(t1, "ViTPose++", "GFLOPS")  # kept from the GT-box entry
    assert gflops["released"] == pytest.approx(BASELINE["coco"]["GFLOPs"])
    ours = _cell(t1, "Ours", "COCO")
    assert ours["released_status"] == "not provided" and ours["released_source"] == "posebh_base"
    assert pd.isna(ours["released"]) and ours["released_protocol"] == ""
    assert _cell(t1, "UniHCP", "COCO")["released_source"] == ""  # no released model on the row
    t3 = _table(3)
    assert _cell(t3, "ViTPose++-H", "COCO AP")["released_status"] == "not run"  # not in the file
    assert _cell(t3, "ViTPose++-B", "COCO AR")["released"] == pytest.approx(82.6)


def test_avg_protocol_names_each_part():
    avg = _cell(_table(1), "ViTPose++", "Avg.")
    assert avg["protocol"].startswith("coco: unit profile; val split; GT boxes;")
    assert " | aic: " in avg["protocol"] and " | mpii: " in avg["protocol"]


def test_protocol_column_follows_the_evaluation_params():
    on = _cell(_table(1), "ViTPose++", "COCO")["protocol"]
    off = _cell(_table(1, evaluation={**EVAL, "flip_test": False, "dark": False}),
                "ViTPose++", "COCO")["protocol"]
    assert "flip test on" in on and "DARK-UDP" in on
    assert "flip test off" in off and "argmax + 0.25 px (UDP grid)" in off
    assert _cell(_table(1), "UniHCP", "COCO")["protocol"] == ""  # paper only: no number of ours


def test_html_draws_a_released_row_and_protocol_footnotes():
    view = html.comparison_view(_table(1))
    labels = [r["label"] for r in view["rows"]]
    i = labels.index("ViTPose++")
    assert labels[i + 1] == html.RELEASED_LABEL and view["rows"][i + 1]["source"] == "vitpose+_base"
    assert view["rows"][i + 1]["cells"][1]["run"] == "77.0"
    ours = view["rows"][labels.index("Ours") + 1]
    assert ours["source"] == "posebh_base (not provided)"
    assert {c["run"] for c in ours["cells"]} == {"not provided"}
    notes = [f for f in view["footnotes"] if f.startswith("Protocol")]
    # GFLOPs and COCO AP are read from the COCO entry: one protocol, both columns named
    assert ("Protocol, released weights (GFLOPS, COCO): unit profile; val split; detector boxes; "
            "flip test on") in notes
    assert "Protocol, released weights (AIC): unit profile; val split; GT boxes; flip test on" in notes
    assert any(f.startswith("Protocol, this run (GFLOPS, COCO): unit profile; val split; GT boxes")
               for f in notes), notes
    assert not any("(Avg.)" in f for f in notes)  # its parts' lines are all there
    six = html.comparison_view(_table(11))["footnotes"]  # the mean is the only column: kept
    assert any(f.startswith("Protocol, this run (Average score): coco: ") for f in six), six
    assert len(_table(4).cells) and html.RELEASED_LABEL not in str(html.comparison_view(_table(4)))


def test_report_csvs_and_page_carry_the_protocol(tmp_path):
    params = {**PARAMS, "evaluation": EVAL}
    out = report.build(make_inputs(tmp_path, params=params, released=RELEASED, prototypes=None,
                                   transfer_prototypes={}), PROV)
    assert list(out.paper_tables[1].columns) == compare.CELL_COLUMNS
    per = out.per_dataset
    coco = per[(per.dataset == "coco") & (per.variant == "baseline")].protocol.unique().tolist()
    assert coco == [("unit profile; val split; GT boxes; flip test on; DARK-UDP; hotcoco (xtcocotools' "
                    "stats) OKS AP, use_area=True; sigmas: coco (17) of src/posebh/skeletons.json")]
    assert out.transfer.protocol.str.startswith("unit profile; val split; GT boxes").all()
    assert html.RELEASED_LABEL in out.html and "Protocol, released weights (GFLOPS, COCO)" in out.html
    assert "metrics/released.json" in out.html
    assert out.paper_tables[2].query("row == 'Ours'").released_status.eq("not provided").all()


def test_trained_rows_follow_the_same_box_rule_as_released_rows():
    """A trained variant whose COCO val had detections shows its detector-box AP, with that protocol."""
    baseline = copy.deepcopy(BASELINE)
    baseline["coco"]["detector"] = dict(DETECTOR)
    metrics = {"baseline": baseline, "posebh": POSEBH}
    results = compare.runs(metrics, {}, {})
    protos = run_protocols(metrics, {}, {}, EVAL, "unit")
    t1 = compare.compare_table(1, results, VARIANTS, "", protocols=protos)
    vit = _cell(t1, "ViTPose++", "COCO")
    assert vit["this_run"] == pytest.approx(77.0)  # not the GT-box AP
    assert "detector boxes" in protos["variant"]["coco"] and "GT boxes" in protos["variant"]["aic"]
    assert _cell(t1, "ViTPose++", "AIC")["this_run"] == pytest.approx(100 * BASELINE["aic"]["AP"])
