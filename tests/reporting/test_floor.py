"""Floor-datasets section: decoded training targets, COCO-equivalent sigmas, the section itself."""

from __future__ import annotations

import types

import numpy as np
import pytest

from posebh import skeletons
from posebh.data import synthetic
from posebh.evaluation.dataset_metrics import evaluate_dataset
from posebh.reporting import floor

INPUT = (96, 128)  # (W, H)


@pytest.fixture(scope="module")
def val_sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("floor")
    return {d: synthetic.render_split(d, 6, seed=0, image_dir=root / d) for d in ("coco", "aic")}


def _ap(gt, dataset, heatmap):
    res = floor.target_results(gt, dataset, INPUT, heatmap, sigma=2.0)
    return evaluate_dataset(gt, res, dataset, engine="xtcocotools")["AP"]


def test_udp_targets_decode_to_the_gt(val_sets):
    assert _ap(val_sets["coco"], "coco", (24, 32)) > 0.99  # DARK-UDP recovers a sub-pixel Gaussian


def test_msra_targets_lose_ap_to_rounding_and_gain_it_back_at_twice_the_heatmap(val_sets):
    low, high = _ap(val_sets["aic"], "aic", (24, 32)), _ap(val_sets["aic"], "aic", (48, 64))
    assert low < 0.9 and high > low


def test_coco_equivalent_sigmas_of_aic():
    s = floor.coco_equivalent_sigmas("aic")
    names = skeletons.get("aic").keypoints
    assert s[names.index("right_shoulder")] == pytest.approx(0.079)
    assert s[names.index("head_top")] == pytest.approx(0.026)  # MPII head_top
    assert s.mean() > 3 * np.mean(skeletons.get("aic").sigmas)


def test_headline_ap_units():
    assert floor.headline_ap({"AP": 0.25}, "coco") == pytest.approx(25.0)
    assert floor.headline_ap({"wholebody": {"AP": 0.01}}, "coco_wholebody") == pytest.approx(1.0)
    assert floor.headline_ap({"PCKh": 63.0}, "mpii") == pytest.approx(63.0)


def test_section_table_and_none_without_metrics(val_sets):
    preds = {d: floor.target_results(g, d, INPUT, (24, 32), 2.0) for d, g in val_sets.items()}
    metrics = {d: {**evaluate_dataset(g, preds[d], d, engine="xtcocotools"), "PCK@0.2": 1.0}
               for d, g in val_sets.items()}
    inputs = types.SimpleNamespace(ablation=types.SimpleNamespace(headline="posebh"),
                                   metrics={"posebh": metrics}, val_sets=val_sets,
                                   params={"model": {"img_size": [128, 96]}, "data": {"sigma": 2.0}},
                                   predictions={"posebh": preds})
    table = floor.section(inputs).tables["floor_datasets"]
    assert table["dataset"].tolist() == ["coco", "aic"]
    assert table["model"].tolist() == pytest.approx(table["targets 24x32"].tolist())  # same results
    aic = table.set_index("dataset").loc["aic"]
    assert aic["AP, COCO sigmas"] > aic["model"]  # larger sigmas forgive the same pixel error
    assert floor.section(types.SimpleNamespace(**{**vars(inputs), "metrics": {}})) is None


def test_wholebody_parts_of_its_own_targets(tmp_path):
    gt = synthetic.render_split("coco_wholebody", 4, seed=0, image_dir=tmp_path)
    res = floor.target_results(gt, "coco_wholebody", INPUT, (24, 32), 2.0)
    parts = floor.wholebody_parts(gt, evaluate_dataset(gt, res, "coco_wholebody", engine="xtcocotools"),
                                  INPUT, 2.0).set_index("part")
    assert list(parts.index) == list(floor.WHOLEBODY_PARTS)
    assert parts["model AP"].tolist() == pytest.approx(parts["targets 24x32"].tolist())
    assert parts.loc["face", "targets 24x32"] < parts.loc["body", "targets 24x32"]  # dense face points


def test_section_skips_sets_without_boxes(val_sets):
    inputs = types.SimpleNamespace(ablation=types.SimpleNamespace(headline="posebh"),
                                   metrics={"posebh": {"coco": {"AP": 0.1}}}, params={},
                                   val_sets={"coco": {"images": []}}, predictions={})
    assert floor.section(inputs) is None


def test_the_report_shows_the_section():
    from posebh.reporting import report

    assert floor.section in report.EVIDENCE
