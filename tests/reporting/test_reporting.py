"""The report on small fixed inputs: values in the right cells, Δ, 'not run', byte-stability."""

import json
import math

import numpy as np
import pytest
from reportkit import (
    ABLATION,
    BASELINE,
    GRID_F32,
    PARAMS,
    POSEBH,
    PROV,
    SPLIT,
    TRANSFER,
    VARIANTS,
    make_inputs,
    prototypes,
)

from posebh import skeletons
from posebh.pipelines.atomic_datasets import CSVFile
from posebh.reporting import compare, html, report, tables, tsne
from posebh.reporting.provenance import stable_hash


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return report.build(make_inputs(tmp_path_factory.mktemp("report")), PROV)


def cell(out: report.ReportOutputs, table: int, row: str, column: str) -> dict:
    df = out.paper_tables[table]
    rows = df[(df.row == row) & (df.column == column)]
    assert len(rows) == 1, (table, row, column)
    return rows.iloc[0].to_dict()


def test_headline_values_in_percent():
    assert tables.headline(BASELINE, "coco") == {"AP": 50.0, "AP50": 75.0, "AR": 60.0, "PCK@0.2": 80.0}
    assert tables.headline(BASELINE, "mpii")["PCKh"] == 90.0
    assert tables.headline(BASELINE, "coco_wholebody")["AP"] == 10.0
    hand = {"interhand2d": {"PCK@0.2": 0.9, "AUC@30px": 0.5, "EPE": 4.2}}
    assert tables.headline(hand, "interhand2d") == {"PCK@0.2": 90.0, "AUC": 50.0, "EPE": 4.2}
    assert tables.headline({"ochuman": {"AP": 0.2}}, "ochuman") == {"AP": 20.0}  # no skeleton entry


def test_table1_values_and_deltas(built):
    c = cell(built, 1, "ViTPose++", "COCO")
    got = (c["paper"], c["this_run"], c["delta"], c["source"], c["status"])
    assert got == (77.0, 50.0, -27.0, "baseline", "ok")
    assert cell(built, 1, "Ours", "COCO")["this_run"] == 52.0
    assert cell(built, 1, "Ours", "COCO")["delta"] == pytest.approx(52.0 - 77.3)
    assert cell(built, 1, "ViTPose++", "GFLOPS")["this_run"] == 0.05
    assert cell(built, 1, "ViTPose++", "MPII")["this_run"] == 90.0  # PCKh already in percent
    assert cell(built, 1, "ViTPose++", "Avg.")["this_run"] == pytest.approx((50 + 25 + 90) / 3, abs=1e-4)
    uni = cell(built, 1, "UniHCP", "COCO")
    assert uni["status"] == "paper only" and math.isnan(uni["this_run"]) and uni["paper"] == 76.8


def test_table2_and_table3_cells(built):
    assert cell(built, 2, "Ours", "APT-36K")["this_run"] == 61.0
    assert cell(built, 2, "ViTPose++", "COCO-W")["this_run"] == 10.0  # whole-body AP
    assert cell(built, 3, "ViTPose++-B", "MPII PCKh@0.1")["this_run"] == 30.0
    assert cell(built, 3, "Ours (ViT-B)", "COCO AP75")["this_run"] == 60.0
    assert cell(built, 3, "Ours (ViT-H)", "COCO AP")["status"] == "paper only"
    hrformer = cell(built, 3, "HRFormer", "MPII PCKh")
    assert hrformer["status"] == "paper only" and math.isnan(hrformer["paper"])


def test_ablation_table5_with_a_missing_variant(built):
    assert cell(built, 5, "Baseline", "CO")["this_run"] == 50.0
    assert cell(built, 5, "Baseline", "MP")["this_run"] == 90.0
    six = (50 + 25 + 90 + 50 + 50 + 10) / 6
    assert cell(built, 5, "Baseline", "Avg.")["this_run"] == pytest.approx(six, abs=1e-4)
    proto = cell(built, 5, "+ L_Proto", "CO")
    assert proto["status"] == "not run" and proto["source"] == "proto" and math.isnan(proto["delta"])
    assert cell(built, 5, "+ L_CSS", "APT")["this_run"] == 61.0


def test_transfer_tables_4_and_12(built):
    assert cell(built, 4, "ViTPose++", "InterHand2.6M EPE")["this_run"] == 4.25
    assert cell(built, 4, "ViTPose++", "InterHand2.6M EPE")["delta"] == pytest.approx(4.25 - 4.02)
    assert cell(built, 4, "Ours", "InterHand2.6M AUC")["status"] == "n/a"  # posebh init has no hand run
    assert cell(built, 4, "Ours", "3DPW AP")["this_run"] == 35.0
    assert cell(built, 12, "Trn. scratch", "InterHand")["this_run"] == 25.0
    assert cell(built, 12, "AIC-trained", "3DPW")["status"] == "not run"
    assert cell(built, 12, "ViTPose++", "3DPW")["this_run"] == 30.0


def test_grid_tables_map_through_the_grid_spec(built):
    assert cell(built, 6, "F = 32", "AP")["this_run"] == 49.0
    assert cell(built, 6, "F = 32", "AP")["source"] == "grid_F32"
    assert cell(built, 6, "F = 64", "AP")["source"] == "posebh"  # the bold default
    assert cell(built, 6, "F = 128", "AP")["status"] == "not run"
    assert cell(built, 7, "β/γ = 5.00e-7/5.00e-8", "AP")["status"] == "not run"  # defined, not in the inputs
    assert cell(built, 7, "β/γ = 5.00e-7/5.00e-8", "AP")["source"] == "grid_bg"
    assert cell(built, 8, "ζ = 1.0e-3", "AP")["this_run"] == 52.0
    comparison = compare.compare_all(compare.runs(make_metrics(), {}), VARIANTS, "x")[6]
    assert "Grid reduced in this profile: 2 of 3 values run" in comparison.note


def make_metrics() -> dict:
    return {"baseline": BASELINE, "posebh": POSEBH, "grid_F32": GRID_F32}


def test_na_tables_9_10_and_11(built):
    assert set(built.paper_tables[9].status) == {"n/a", "paper only"}
    assert cell(built, 10, "Ours-B", "Val")["status"] == "n/a"
    assert cell(built, 11, "+UniDet", "Average score")["status"] == "not run"
    assert cell(built, 11, "ViTPose++", "Average score")["this_run"] == pytest.approx(275 / 6, abs=1e-4)
    with_och = {"baseline": {**BASELINE, "ochuman": {"AP": 0.4}, "ochuman_occ": {"AP": 0.2}}}
    t10 = compare.compare_table(10, compare.runs(with_och, {}), VARIANTS, "")
    row = t10.cells[(t10.cells.row == "ViTPose++-B")].set_index("column")
    assert row.loc["Val", "this_run"] == 40.0 and row.loc["Val (occ)", "this_run"] == 20.0
    assert row.loc["Test", "status"] == "n/a"


def test_page_shows_tables_notes_and_figures(built):
    page = built.html
    for n in range(1, 13):
        assert f'id="table-{n}"' in page
    assert "test-dev ground truth is not public (evaluation server)" in page
    assert "Grid reduced in this profile" in page
    assert "This run: unit-test inputs." in page
    assert "no OCHuman entry" in page
    assert page.count('src="data:image/png;base64,') == 4  # bars, t-SNE, one overlay (coco), losses
    assert "<script" not in page
    assert 'href="tables/paper_table_05.csv"' in page and 'href="timings.json"' in page
    assert "<td class=\"run st-not-run\">not run</td>" in page
    assert "\u221227.0" in page  # Δ with a real minus sign


def test_no_time_in_the_page_but_in_timings(built):
    assert built.timings["train_seconds"]["baseline"] == 120.0
    assert built.timings["total_seconds"] == pytest.approx(sum(built.timings["train_seconds"].values()))
    assert set(built.timings) == {"train_seconds", "total_seconds", "total_minutes", "note"}
    assert "min (sum" not in built.html and "wall time" not in built.html


def test_headline_metrics_are_small_and_numeric(built):
    assert built.metrics["baseline"]["mpii"]["PCKh"] == 90.0
    assert built.metrics["transfer"]["interhand2d.scratch"]["EPE"] == 4.25
    flat = [v for var in built.metrics.values() for d in var.values() for v in d.values()]
    assert all(isinstance(v, float) for v in flat)
    headline = compare.headline(compare.runs(make_metrics(), {}), "baseline", "posebh", "baseline_ft")
    assert headline.set_index("metric").loc["COCO AP", "Δ"] == pytest.approx(2.0)


def test_prototype_neighbours_find_the_planted_pairs(built):
    nb = built.neighbours.set_index(["probe", "dataset"])
    assert nb.loc[("coco nose", "pw3d"), "nearest"] == "jaw"
    assert nb.loc[("coco left_hip", "pw3d"), "nearest"] == "pelvis"
    assert nb.loc[("coco nose", "pw3d"), "cosine"] > 0.9
    assert set(nb.index.get_level_values("dataset")) == {"aic", "pw3d"}


def test_tsne_is_deterministic():
    protos, extra = prototypes()
    points, labels = tsne.combine([(protos["bank"], protos["labels"]),
                                   (extra["pw3d"]["bank"], extra["pw3d"]["labels"])])
    assert len(points) == len(labels) == 2 * (17 + 14 + 24)
    first = tsne.embed(points, perplexity=10, max_iter=250)
    assert first.shape == (len(points), 2) and np.isfinite(first).all()
    assert np.array_equal(first, tsne.embed(points, perplexity=10, max_iter=250))


def test_missing_runs_never_crash(tmp_path):
    out = report.build(make_inputs(tmp_path, metrics={"baseline": BASELINE}, histories={}, predictions={},
                                   prototypes=None, transfer_prototypes={}, transfer_metrics={}), PROV)
    assert cell(out, 1, "Ours", "COCO")["status"] == "not run"
    assert cell(out, 12, "ViTPose++", "InterHand")["status"] == "not run"
    assert "No prototype bank in this run" in out.html
    assert out.neighbours.empty


def test_report_is_byte_stable(tmp_path):
    inputs = make_inputs(tmp_path)
    a, b = report.build(inputs, PROV), report.build(inputs, PROV)
    assert a.html.encode() == b.html.encode()
    csv = CSVFile(str(tmp_path / "t.csv"))
    for n in a.paper_tables:
        assert csv._encode(a.paper_tables[n]) == csv._encode(b.paper_tables[n])
    assert json.dumps(a.metrics) == json.dumps(b.metrics)


def test_paper_table_csv_columns(built):
    assert list(built.paper_tables[1].columns) == compare.CELL_COLUMNS
    assert sorted(built.paper_tables) == list(range(1, 13))


def test_number_formatting():
    assert html.number(-1.25, 1, signed=True) == "\u22121.2"
    assert html.number(0.06, 1, signed=True) == "+0.1"
    assert html.number(0.04, 1, signed=True) == "±0.0"
    assert html.number(-0.01, 1, signed=True) == "±0.0"
    assert html.number(None, 1) == "–"


def test_node_wrapper_through_the_pipeline(tmp_path, monkeypatch):
    from posebh.experiments import Matrix, Variant
    from posebh.pipelines.report import pipeline as report_pipeline

    matrix = Matrix(variants={v: Variant(v, spec.get("kind", "scratch"), spec.get("description", ""))
                              for v, spec in VARIANTS.items()}, grids={}, ablation=ABLATION)
    monkeypatch.setattr(report_pipeline, "matrix", lambda: matrix)
    pipe = report_pipeline.create_pipeline()
    (node,) = pipe.nodes
    inputs = make_inputs(tmp_path)
    assert {"posebh.prototypes", "transfer_pw3d_prototypes", "grid_metrics", "baseline.predictions",
            "coco_val",
            "proto.metrics", "grid_F32.history", "transfer_pw3d_metrics", "params:method"} <= set(node.inputs)
    assert "unidet.metrics" not in node.inputs
    assert node.outputs[:len(report_pipeline.OUTPUTS)] == report_pipeline.OUTPUTS
    assert node.outputs[-1] == "report_paper_table_12"
    feed = {f"{v}.metrics": inputs.metrics.get(v, {}) for v in VARIANTS}
    feed |= {f"{v}.history": inputs.histories.get(v, []) for v in VARIANTS}
    feed |= {f"{m}.predictions": inputs.predictions[m] for m in ("baseline", "posebh")}
    feed |= {f"{d}_val": inputs.val_sets.get(d, {"images": []}) for d in skeletons.SOURCES}
    feed |= {f"transfer_{t}_metrics": TRANSFER[t] for t in skeletons.TRANSFER}
    feed |= {f"transfer_{t}_prototypes": inputs.transfer_prototypes.get(t, {})
             for t in skeletons.TRANSFER}
    feed |= {"posebh.prototypes": inputs.prototypes, "grid_metrics": {}, "apt36k_split_summary": SPLIT,
             "ablation_seed_scores": {}, "cross_skeleton_metrics": {},
             "cross_skeleton_scores": {}, "released_metrics": {}, "kd_metrics": {},
             "kd_cross_skeleton_scores": {}, "kd_timings": {}, "cape_metrics": {},
             "adapt_metrics": {}, "adapt_timings": {},
             "dvc_pipeline": {"stages": {"a": {"outs": ["x"]}, "b": {"deps": ["x"]}}}}
    feed |= {f"params:{p}": PARAMS.get(p, {}) for p in report_pipeline.PARAMS}
    out = node.run(feed)
    assert "Table 12" in out["report_html"] and out["report_metrics"]["baseline"]["coco"]["AP"] == 50.0
    assert out["report_paper_table_05"].equals(report.build(inputs, PROV).paper_tables[5])
    assert 'id="pipeline-map"' in out["report_html"]  # dvc.yaml's stages drawn


def test_stable_hash_ignores_key_order():
    assert stable_hash({"a": 1, "b": 2}) == stable_hash({"b": 2, "a": 1})


def test_headline_compares_posebh_with_the_finetune_control_when_it_ran():
    control = {"coco": {**BASELINE["coco"], "AP": BASELINE["coco"]["AP"] + 0.015}}
    metrics = {**make_metrics(), "baseline_ft": {**BASELINE, **control}}
    table = compare.headline(compare.runs(metrics, {}), "baseline", "posebh", "baseline_ft").set_index("metric")
    assert list(table.columns) == ["baseline", "baseline_ft", "posebh", "Δ", "Δ vs baseline_ft"]
    assert table.loc["COCO AP", "Δ"] == pytest.approx(2.0)
    assert table.loc["COCO AP", "Δ vs baseline_ft"] == pytest.approx(0.5)
