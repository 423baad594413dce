"""Evaluator benchmark: synthetic set, engine parity, JSON layout, CLI. No timing assertions."""

from __future__ import annotations

import json

import pytest

from posebh.bench.evaluators import ENGINE_ORDER, REFERENCE, run_bench, synthetic_keypoint_set
from posebh.commands import main
from posebh.evaluation.oks import STAT_NAMES


def test_generator_is_deterministic_and_well_formed() -> None:
    gt, res = synthetic_keypoint_set(200, seed=3)
    assert (gt, res) == synthetic_keypoint_set(200, seed=3)
    assert synthetic_keypoint_set(200, seed=4) != (gt, res)
    anns = gt["annotations"]
    assert len(anns) == 200
    assert len(gt["images"]) < 200  # several persons per image
    assert {a["image_id"] for a in anns} == {i["id"] for i in gt["images"]}
    for a in anns:
        v = a["keypoints"][2::3]
        assert len(v) == 17 and a["num_keypoints"] == sum(x > 0 for x in v) >= 1
        x, y, w, h = a["bbox"]
        assert 0 <= x and x + w <= 640 and 0 <= y and y + h <= 480
    assert all(min(r["keypoints"][2::3]) > 0 for r in res)  # no all-zero-score detections
    n_matched_max = len(anns)
    assert 0.75 * n_matched_max < len(res) < 1.5 * n_matched_max


@pytest.fixture(scope="module")
def small_bench() -> dict:
    return run_bench(n_instances=200, repeats=1)


def test_engines_agree_exactly(small_bench: dict) -> None:
    engines = small_bench["engines"]
    assert set(engines) == set(ENGINE_ORDER)
    for name in ("posebh", "hotcoco", "xtcocotools", "pycocotools"):
        assert engines[name]["available"]
    for name, row in engines.items():
        if row["available"]:
            assert row["max_abs_diff"] == 0.0, name
    assert small_bench["identical"] is True
    assert small_bench["stats_max_abs_diff"] == 0.0
    assert 0.0 < small_bench["stats"]["AP"] < 1.0


def test_result_layout(small_bench: dict) -> None:
    keys = ("environment", "n_instances", "n_images", "n_detections", "repeats", "engines", "stats")
    assert set(keys) <= set(small_bench)
    assert small_bench["n_instances"] == 200 and small_bench["repeats"] == 1
    assert {"cpu_count", "numpy", "xtcocotools", "pycocotools"} <= set(small_bench["environment"])
    assert list(small_bench["stats"]) == list(STAT_NAMES)
    ref = small_bench["engines"][REFERENCE]
    assert ref["ratio_to_xtcocotools"] == 1.0
    for row in small_bench["engines"].values():
        if row["available"]:
            assert len(row["runs_s"]) == 1 and row["median_s"] > 0
            assert row["ratio_to_xtcocotools"] > 0
    d = small_bench["eval_default_over_xtcocotools"]
    assert d["engine"] == "hotcoco" and d["max_abs_stat_diff"] == 0.0
    assert d["ratio"] == pytest.approx(d["default_seconds"] / d["xtcocotools_seconds"])
    json.dumps(small_bench)  # serialisable


def test_cli_writes_json(tmp_path, capsys) -> None:
    out = tmp_path / "sub" / "eval.json"
    assert main(["bench", "--instances", "60", "--repeats", "1", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["n_instances"] == 60 and data["identical"] is True
    assert "xtcocotools" in capsys.readouterr().out
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_cli_rejects_bad_counts(tmp_path) -> None:
    assert main(["bench", "--instances", "0", "--out", str(tmp_path / "x.json")]) == 2
    assert not (tmp_path / "x.json").exists()
