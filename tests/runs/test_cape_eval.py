"""runs.cape end to end: a tiny MP-100-format folder written here, tiny untrained checkpoints."""

import json

import numpy as np
import pytest
import torch
from cape_fixture import write_mp100
from tiny import TINY_64

from posebh.data.errors import DataError
from posebh.evaluation.units import to_percent
from posebh.runs.cape_eval import CapeEvalConfig, cape_evaluate
from posebh.zoo.checkpoint import build_model, to_checkpoint

MODEL = {**TINY_64, "depth": 1, "datasets": ("coco", "ap10k", "coco_wholebody")}
CFG = {"shots": [1, 2], "num_queries": 3, "num_episodes": 4, "finetune_episodes": 2,
       "finetune_steps": 3, "splits": [1, 2], "resamples": 50, "device": "cpu", "batch_size": 4}
NAMES = ["posebh/embedding", "posebh/head", "baseline/head", "baseline/backbone",
         "baseline/finetune"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return write_mp100(tmp_path_factory.mktemp("mp100"))


@pytest.fixture(scope="module")
def checkpoints():
    torch.manual_seed(0)
    baseline = to_checkpoint(build_model(MODEL))
    torch.manual_seed(1)
    posebh = to_checkpoint(build_model(MODEL, {"embed_dim": 8, "num_clusters": 6}))
    return {"baseline": baseline, "posebh": posebh}


@pytest.fixture(scope="module")
def run(root, checkpoints):
    return cape_evaluate(checkpoints, root, CapeEvalConfig.from_dict(CFG))


def test_metrics_per_matcher_shots_split_and_category(run):
    metrics, scores = run
    assert list(metrics["matchers"]) == NAMES == list(scores)
    assert metrics["protocol"]["splits"] == ["split1", "split2"]
    assert metrics["experts"] == {"split1": {"tern_body": "ap10k", "upper_hand": "coco_wholebody"},
                                  "split2": {"bust": "coco", "yak_head": "ap10k"}}
    for name, by_shots in metrics["matchers"].items():
        assert list(by_shots) == ["1-shot", "2-shot"]
        for shots, m in by_shots.items():
            assert m["episodes"] == (2 if name == "baseline/finetune" else 4)
            assert 0.0 <= m["mean"] <= 100.0 and m["episode_std"] >= 0.0
            assert m["mean"] == pytest.approx(np.mean(list(m["per_split"].values())))
            assert list(m["per_category"]["split2"]) == ["bust", "yak_head"]
            assert m["per_split"]["split1"] == pytest.approx(
                np.mean(list(m["per_category"]["split1"].values())))
            per_episode = scores[name][shots]  # split -> category -> (E,) percent
            assert all(len(v) == m["episodes"] for cats in per_episode.values()
                       for v in cats.values())
            assert m["per_category"]["split1"]["tern_body"] == pytest.approx(
                np.mean(per_episode["split1"]["tern_body"]))


def test_paired_differences_use_the_shared_episodes(run):
    metrics, _ = run
    diffs = metrics["differences"]
    assert [(d["matcher"], d["control"], d["shots"]) for d in diffs] == [
        ("posebh/embedding", "baseline/head", 1), ("posebh/embedding", "baseline/head", 2),
        ("posebh/embedding", "posebh/head", 1), ("posebh/embedding", "posebh/head", 2)]
    for d in diffs:
        a = metrics["matchers"][d["matcher"]][f"{d['shots']}-shot"]["mean"]
        b = metrics["matchers"][d["control"]][f"{d['shots']}-shot"]["mean"]
        assert d["diff"] == pytest.approx(a - b) and d["episodes"] == 4
        assert d["low"] <= d["diff"] + 1e-9 and d["diff"] <= d["high"] + 1e-9
        assert d["excludes_zero"] == (d["low"] > 0 or d["high"] < 0)


def test_metrics_are_json_and_already_in_percent(run):
    metrics, scores = run
    assert to_percent(metrics) == metrics  # no key the metrics file would rescale
    json.dumps(metrics), json.dumps(scores)


def test_two_runs_are_equal_bit_for_bit(run, root, checkpoints):
    again = cape_evaluate(checkpoints, root, CapeEvalConfig.from_dict(CFG))
    assert json.dumps(again) == json.dumps(run)


def test_no_annotation_folder_means_not_run(tmp_path, checkpoints):
    assert cape_evaluate(checkpoints, tmp_path, CapeEvalConfig.from_dict(CFG)) == ({}, {})


def test_bad_inputs_are_named(root, checkpoints, tmp_path):
    with pytest.raises(ValueError, match=r"no checkpoint for the matchers' models \['posebh'\]"):
        cape_evaluate({"baseline": checkpoints["baseline"]}, root, CapeEvalConfig.from_dict(CFG))
    small = write_mp100(tmp_path / "small", per_category=4)
    with pytest.raises(DataError, match="mp100_split1_test.json: every novel category needs >= 5"):
        cape_evaluate(checkpoints, small, CapeEvalConfig.from_dict(CFG))
    with pytest.raises(ValueError, match="cape_evaluation.differences"):
        CapeEvalConfig.from_dict({**CFG, "differences": [["posebh/embedding", "nope"]]})
    with pytest.raises(ValueError, match="cape_evaluation.matchers"):
        CapeEvalConfig.from_dict({**CFG, "matchers": [{"model": "a", "features": "head"}] * 2})
