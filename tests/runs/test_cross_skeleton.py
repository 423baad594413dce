"""Cross-skeleton matrix and CSS audit on tiny rendered data and tiny untrained models."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from posebh.data import hidden, synthetic
from posebh.data.topdown import get_affine_matrix
from posebh.evaluation.cross_skeleton import headline_ap, score_head
from posebh.evaluation.dataset_metrics import pck_of_results
from posebh.evaluation.decode import to_image_coords
from posebh.runs import css_audit
from posebh.runs.config import EvalConfig, SampleConfig
from posebh.runs.cross_skeleton import cross_skeleton, cross_skeleton_rows
from posebh.runs.evaluate import evaluate_variant
from posebh.runs.finetune import prototypes_of
from posebh.zoo.checkpoint import build_model, to_checkpoint

MODEL = {"img_size": [32, 32], "embed_dim": 16, "depth": 1, "num_heads": 2, "mlp_ratio": 2.0,
         "part_features": 4, "head_channels": 8, "datasets": ["coco", "aic", "ap10k"]}
METHOD = {"embed_dim": 8, "num_clusters": 6, "css_conf_thr": 0.0, "css_dist_thr": 100.0}
EVAL = EvalConfig(device="cpu", flip_test=True, dark=True, batch_size=8)
SAMPLE = SampleConfig()
CANVAS = (64, 64)
N = 3


@pytest.fixture(scope="module")
def truth(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hidden")
    out = {}
    for s in ("coco", "aic", "ap10k"):
        synthetic.render_split(s, N, seed=1, image_dir=root / s, canvas=CANVAS)
        out[s] = hidden.hidden_split(s, N, 1, CANVAS, str(root / s))
    return out


@pytest.fixture(scope="module")
def posebh() -> dict:
    torch.manual_seed(0)
    return to_checkpoint(build_model(MODEL, METHOD))


def test_rows_cover_each_head_on_the_sources_of_its_domain(truth, posebh):
    rows, scores = cross_skeleton_rows("m", posebh, truth, SAMPLE, EVAL)
    cells = [(r["head"], r["source"]) for r in rows]
    assert [(h, s) for h, by_source in scores.items() for s in by_source] == cells
    assert cells == [("coco", "coco"), ("coco", "aic"), ("aic", "coco"), ("aic", "aic"),
                     ("ap10k", "ap10k")]
    for r in rows:
        assert set(r) == {"model", "head", "source", "AP", "PCK@0.1", "n_images"}
        assert r["n_images"] == N and 0.0 <= r["AP"] <= 1.0 and 0.0 <= r["PCK@0.1"] <= 1.0


def test_diagonal_equals_the_usual_own_dataset_evaluation(truth, posebh):
    rows = {(r["head"], r["source"]): r
            for r in cross_skeleton_rows("m", posebh, truth, SAMPLE, EVAL)[0]}
    val = {d: truth[d][d] for d in MODEL["datasets"]}
    preds, metrics = evaluate_variant(posebh, val, SAMPLE, EVAL)
    for d in MODEL["datasets"]:  # all OKS datasets
        assert rows[(d, d)]["AP"] == metrics[d]["AP"]
        assert rows[(d, d)]["PCK@0.1"] == pck_of_results(val[d], preds[d], d, 0.1)
    assert any(rows[(d, d)]["PCK@0.1"] > 0 for d in MODEL["datasets"])  # not a vacuous match


def test_off_diagonal_cells_score_against_the_target_skeleton(truth, posebh):
    rows = {(r["head"], r["source"]): r
            for r in cross_skeleton_rows("m", posebh, truth, SAMPLE, EVAL)[0]}
    # head coco on AIC's images: COCO's truth there, not AIC's own published labels
    assert rows[("coco", "aic")]["n_images"] == len(truth["aic"]["coco"]["images"])
    all_rows, scores, seconds = cross_skeleton({"a": posebh, "b": posebh}, truth, SAMPLE, EVAL)
    assert set(seconds) == {"a", "b"} == set(scores) and len(all_rows) == 10
    assert json.dumps(scores["a"]) == json.dumps(scores["b"])  # NaN: a head without a detection
    assert [r["AP"] for r in all_rows[:5]] == [r["AP"] for r in all_rows[5:]]  # deterministic


def test_headline_ap_and_score_head_on_a_perfect_prediction(truth):
    gt = truth["coco"]["coco"]
    results = [{"image_id": a["image_id"], "category_id": 1, "score": 1.0, "ann_id": a["id"],
                "keypoints": [v if i % 3 < 2 else 1.0 for i, v in enumerate(a["keypoints"])]}
               for a in gt["annotations"]]
    s = score_head(gt, results, "coco")
    assert s["AP"] == pytest.approx(1.0) and s["PCK@0.1"] == 1.0 and s["n_images"] == N
    assert headline_ap({"wholebody": {"AP": 0.3}, "AP": 0.9}, "coco_wholebody") == 0.3


def test_truth_to_heatmap_matches_the_inverse_used_for_predictions():
    center, scale = np.array([[30.0, 40.0]]), np.array([[48.0, 64.0]])
    pts = np.array([[[10.0, 20.0], [33.5, 51.25]]])
    for udp in (False, True):
        m = get_affine_matrix(center[0], scale[0], 0.0, (8, 8), udp)
        hm = pts[0] @ m[:, :2].T + m[:, 2]
        back = to_image_coords(hm[None], center, scale, (8, 8), udp=udp)
        np.testing.assert_allclose(back[0], pts[0], atol=1e-4)


def test_summarise_counts_and_errors():
    p = {"conf": np.array([[0.9, 0.1, 0.8, 0.7]]), "keep": np.array([[True, True, True, False]]),
         "vis": np.array([[True, True, False, True]]),
         "hm": np.zeros((1, 4, 2)), "gt_hm": np.array([[[1.0, 0.0], [0, 0], [0, 0], [0, 0]]]),
         "img": np.zeros((1, 4, 2)), "gt_img": np.array([[[4.0, 0.0], [0, 0], [0, 0], [0, 0]]])}
    s = css_audit.summarise(p, conf_thr=0.25, dist_thr=2.1)
    # candidates: conf > 0.25 (3); kept: keep & candidate (joints 0, 2); scored: kept & labelled (0)
    assert (s["pairs"], s["candidates"], s["kept"], s["scored"]) == (4, 3, 2, 1)
    assert s["share_kept"] == pytest.approx(2 / 3)
    assert (s["median_err_px"], s["median_err_hm_px"], s["share_within_d_thr"]) == (4.0, 1.0, 1.0)
    empty = css_audit.summarise({**p, "keep": np.zeros((1, 4), bool)}, 0.25, 2.1)
    assert empty["kept"] == 0 and empty["median_err_px"] is None


def test_css_audit_rows_cover_other_heads_of_the_same_domain(truth, posebh):
    net = build_model(posebh["model_cfg"], posebh["method_cfg"])
    net.load_state_dict(posebh["state_dict"])
    rows = css_audit.css_audit_rows("p", posebh, prototypes_of(net), truth, SAMPLE, EVAL)
    assert [(r["head"], r["source"]) for r in rows] == [("aic", "coco"), ("coco", "aic")]
    for r in rows:  # d_thr 100 keeps every candidate (a head peak above c_thr 0)
        assert r["pairs"] == N * (17 if r["head"] == "coco" else 14)
        assert 0 < r["kept"] == r["candidates"] <= r["pairs"] and r["scored"] > 0
        assert r["median_err_px"] > 0 and (r["conf_thr"], r["d_thr"]) == (0.0, 100.0)


def test_css_audit_refuses_a_plain_model_or_foreign_prototypes(truth, posebh):
    plain = to_checkpoint(build_model(MODEL))
    with pytest.raises(TypeError, match="^b: not a PoseBH checkpoint"):
        css_audit.css_audit_rows("b", plain, {}, truth, SAMPLE, EVAL)
    with pytest.raises(ValueError, match="^p: its prototypes file"):
        css_audit.css_audit_rows("p", posebh, {"bank": torch.zeros(1), "labels": []}, truth,
                                 SAMPLE, EVAL)


def test_run_cross_skeleton_names_a_missing_model_and_says_when_there_is_no_truth(posebh):
    from posebh.runs.config import CrossSkeletonConfig
    from posebh.runs.cross_skeleton import NO_TRUTH, run_cross_skeleton

    cfg = CrossSkeletonConfig(models=("posebh", "ghost"), css_audit=())
    with pytest.raises(ValueError, match=r"^cross_skeleton\.models: \['ghost'\] not among"):
        run_cross_skeleton({"posebh": posebh}, {}, {}, cfg, SAMPLE, EVAL)
    out = run_cross_skeleton({"posebh": posebh}, {}, {}, CrossSkeletonConfig(("posebh",), ()),
                             SAMPLE, EVAL)
    assert out == ({"matrix": {}, "css_audit": {}, "notes": [NO_TRUTH]},  # no wall times (#15)
                   {"units": {}, "cells": {}})


def test_first_images_keeps_each_sources_first_n_images_and_their_annotations():
    from posebh.runs.cross_skeleton import first_images

    coco = {"images": [{"id": i} for i in (5, 1, 3)],
            "annotations": [{"id": 10 + i, "image_id": i} for i in (5, 1, 3)]}
    out = first_images({"coco": {"aic": coco}}, 2)["coco"]["aic"]
    assert [im["id"] for im in out["images"]] == [1, 3]
    assert [a["image_id"] for a in out["annotations"]] == [1, 3]
    assert first_images({"coco": {"aic": coco}}, None)["coco"]["aic"] is coco


def test_cell_scores_reproduce_each_rows_ap_and_are_stored_with_the_sources_units(truth, posebh):
    from posebh.evaluation.instances import InstanceScores, metric
    from posebh.runs.config import CrossSkeletonConfig
    from posebh.runs.cross_skeleton import run_cross_skeleton

    rows, scores = cross_skeleton_rows("m", posebh, truth, SAMPLE, EVAL)
    for r in rows:
        inst = InstanceScores.from_dict(scores[r["head"]][r["source"]])
        assert metric(inst) == pytest.approx(100 * r["AP"], abs=1e-9)
        assert inst.image.tolist() == list(range(N))  # the source's images, in id order
    _, stored = run_cross_skeleton({"p": posebh}, {}, truth, CrossSkeletonConfig(("p",), ()),
                                   SAMPLE, EVAL)
    assert stored["units"] == {s: N for s in truth}
    assert json.dumps(stored["cells"]) == json.dumps({"p": scores})
