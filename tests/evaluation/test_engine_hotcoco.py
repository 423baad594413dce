"""The hotcoco engine returns xtcocotools' 10 stats: the suite's OKS cases and a large random set.

Every comparison runs both engines through :func:`evaluate_oks`; where hotcoco is not proven
exact (AIC ``use_area=False``, GT without ``area``, WholeBody parts) the suite must use xtcocotools.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from support import real_sample
from test_evaluation import COCO_GT, _gt_as_results, make_dataset, perturbed_results

from posebh import skeletons
from posebh.evaluation import dataset_metrics, evaluate_dataset, evaluate_oks, load_gt, oks_fast
from posebh.evaluation.oks import DEFAULT_ENGINE

TOL = 0.0  # bit-identical with hotcoco 1.3.0 (the issue asks for <= 1e-12)
AREA_DATASETS = [n for n, s in skeletons.load_skeletons().items() if s.sigmas is not None and s.use_area]


def assert_same(gt: dict, results: list[dict], dataset: str) -> dict[str, float]:
    """hotcoco (through the suite, not falling back) == xtcocotools on every stat."""
    assert oks_fast.exact_for(gt, skeletons.get(dataset).use_area)
    gt0, res0 = copy.deepcopy(gt), copy.deepcopy(results)
    ref = evaluate_oks(gt, results, dataset, engine="xtcocotools")
    got = evaluate_oks(gt, results, dataset, engine="hotcoco")
    assert gt == gt0 and results == res0  # inputs untouched
    assert list(got) == list(ref)
    diff = {k: abs(got[k] - ref[k]) for k in ref}
    assert max(diff.values()) <= TOL, (dataset, diff, ref, got)
    return ref


def test_default_engine_is_hotcoco() -> None:
    from posebh.runs.config import EvalConfig

    assert DEFAULT_ENGINE == "hotcoco" and EvalConfig().engine == "hotcoco"


# ----------------------------------------------------------------------------- the suite's cases
@pytest.mark.parametrize("dataset", ["coco", "ap10k", "mpii", "pw3d"])
@pytest.mark.parametrize("noise", [0.0, 0.03, 0.1])
def test_engines_agree_cases(dataset: str, noise: float) -> None:
    k = skeletons.get(dataset).num_keypoints
    gt = make_dataset(k, seed=len(dataset))
    assert_same(gt, perturbed_results(gt, noise, seed=int(noise * 100) + 3), dataset)


def test_xtcocotools_rules_all_zero_scores_and_num_keypoints() -> None:
    """The two cases where pycocotools differs from xtcocotools: hotcoco follows xtcocotools."""
    gt = make_dataset(17, seed=7)
    res = perturbed_results(gt, 0.02, extra_fp=False)
    a = gt["annotations"][0]
    kp = np.asarray(a["keypoints"], dtype=float).reshape(-1, 3)
    kp[:, :2] += 300.0
    kp[:, 2] = 0.0  # a confident false positive with all keypoint scores 0
    res.append({"image_id": a["image_id"], "category_id": 1,
                "keypoints": [float(t) for t in kp.reshape(-1)], "score": 1.5})
    assert assert_same(gt, res, "coco") == evaluate_oks(gt, res[:-1], "coco", engine="xtcocotools")
    gt = make_dataset(17, seed=9)
    res = perturbed_results(gt, 0.0, extra_fp=False)[1:]
    gt["annotations"][0]["num_keypoints"] = 0  # wrong field: xtcocotools counts v > 0
    n = len(gt["annotations"])
    assert assert_same(gt, res, "coco")["AR"] == pytest.approx((n - 1) / n)


def test_empty_results_and_empty_gt() -> None:
    gt = make_dataset(17)
    assert_same(gt, [], "coco")
    empty = {"images": gt["images"], "annotations": [], "categories": gt["categories"]}
    assert_same(empty, perturbed_results(gt, 0.05), "coco")


def test_results_with_bbox_use_its_area() -> None:
    """xtcocotools' loadRes takes a result's area from its bbox when the first result has one."""
    gt = make_dataset(17, n_images=20, seed=4)
    res = perturbed_results(gt, 0.05, seed=8)
    for i, r in enumerate(res):
        r["bbox"] = [0.0, 0.0, 20.0 + 15 * i, 30.0 + 9 * i]  # small to large: moves APM/APL
    assert_same(gt, res, "coco")


def test_unknown_result_image_raises_like_xtcocotools() -> None:
    gt = make_dataset(17)
    res = perturbed_results(gt, 0.05) + [{"image_id": 999, "category_id": 1,
                                          "keypoints": [1.0, 1.0, 1.0] * 17, "score": 0.5}]
    for engine in ("xtcocotools", "hotcoco"):
        with pytest.raises(AssertionError):
            evaluate_oks(gt, res, "coco", engine=engine)


def test_real_samples() -> None:
    gt = json.loads(real_sample(COCO_GT).read_text())
    assert_same(gt, _gt_as_results(gt), "coco")  # incl. the 2 all-zero-score detections
    rng = np.random.default_rng(0)
    noisy = [dict(r, keypoints=[v + (rng.normal(0, 3) if i % 3 < 2 else 0)
                                for i, v in enumerate(r["keypoints"])]) for r in _gt_as_results(gt)]
    assert_same(gt, noisy, "coco")
    ap10k = load_gt(real_sample("ap10k/test_ap10k.json"), "ap10k")
    assert_same(ap10k, _gt_as_results(ap10k), "ap10k")


# ----------------------------------------------------------------------------- fallbacks
def test_aic_and_missing_area_fall_back_to_xtcocotools(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object) -> None:
        raise AssertionError("hotcoco must not run here")

    monkeypatch.setattr(oks_fast, "evaluate_hotcoco", boom)
    gt = make_dataset(14)
    res = perturbed_results(gt, 0.02)
    assert evaluate_oks(gt, res, "aic", engine="hotcoco") == evaluate_oks(gt, res, "aic", engine="xtcocotools")
    gt = make_dataset(17)
    res = perturbed_results(gt, 0.02)
    for a in gt["annotations"]:
        del a["area"]
    with pytest.raises(KeyError):  # xtcocotools' own error, not different numbers
        evaluate_oks(gt, res, "coco", engine="hotcoco")


def test_wholebody_runs_xtcocotools_for_every_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(dataset_metrics, "evaluate_wholebody", lambda gt, res: calls.append(1) or {})
    for engine in ("hotcoco", "xtcocotools", "pycocotools"):
        assert evaluate_dataset({}, [], "coco_wholebody", engine) == {}
    assert len(calls) == 3
    with pytest.raises(ValueError, match="unknown engine"):
        evaluate_dataset({}, [], "coco_wholebody", "nope")


# ----------------------------------------------------------------------------- large random set
def random_set(k: int, n_gt: int, seed: int) -> tuple[dict, list[dict]]:
    """GT of 2 categories, small/medium/large and crowd boxes, v in {0,1,2} (some all 0), and
    detections with noise, false positives, duplicates, score ties, all-zero scores, >20 per image."""
    rng = np.random.default_rng(seed)
    images, anns, res = [], [], []
    img = 0
    while len(anns) < n_gt:
        img += 1
        images.append({"id": img, "file_name": f"{img}.jpg", "width": 640, "height": 480})
        crowded = rng.random() < 0.05
        for _ in range(int(rng.integers(0, 6)) + (22 if crowded else 0)):
            s = float(np.exp(rng.uniform(np.log(8), np.log(400))))
            w, h = s * rng.uniform(0.5, 1.0), s * rng.uniform(1.0, 2.0)
            x, y = rng.uniform(-20, 620), rng.uniform(-20, 460)
            v = rng.choice([0, 1, 2], size=k, p=[0.3, 0.2, 0.5])
            if rng.random() < 0.08:
                v[:] = 0
            pts = np.column_stack([x + rng.uniform(0, w, k), y + rng.uniform(0, h, k)])
            kp = np.column_stack([np.where(v > 0, pts.T, 0).T, v]).round(2)
            cat = int(rng.integers(1, 3))
            anns.append({"id": len(anns) + 1, "image_id": img, "category_id": cat,
                         "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
                         "area": round(w * h * rng.uniform(0.4, 0.9), 2),
                         "iscrowd": int(rng.random() < 0.06),
                         "num_keypoints": int(rng.integers(0, k + 1)),  # unreliable on purpose
                         "keypoints": kp.reshape(-1).tolist()})
            for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):
                det = pts + rng.normal(0, rng.uniform(0.005, 0.2) * np.sqrt(w * h), size=pts.shape)
                sc = np.where(rng.random(k) < 0.9, rng.uniform(0, 1, k), 0.0)
                if rng.random() < 0.03:
                    sc[:] = 0.0
                res.append({"image_id": img, "category_id": cat if rng.random() < 0.95 else 3 - cat,
                            "keypoints": np.column_stack([det, sc]).round(2).reshape(-1).tolist(),
                            "score": float(rng.choice([0.5, 0.75, 1.0])) if rng.random() < 0.2
                            else round(float(rng.uniform(0, 1)), 3)})
        for _ in range(int(rng.integers(0, 3))):  # false positives
            det = np.column_stack([rng.uniform(0, 640, k), rng.uniform(0, 480, k), rng.uniform(0, 1, k)])
            res.append({"image_id": img, "category_id": int(rng.integers(1, 3)),
                        "keypoints": det.round(2).reshape(-1).tolist(),
                        "score": round(float(rng.uniform(0, 0.6)), 3)})
    cats = [{"id": 1, "name": "person"}, {"id": 2, "name": "animal"}]
    return {"images": images, "annotations": anns, "categories": cats}, res


@pytest.mark.parametrize("dataset", AREA_DATASETS)
def test_large_random_set(dataset: str) -> None:
    k = skeletons.get(dataset).num_keypoints
    n = 600 if k > 30 else 3000
    gt, res = random_set(k, n, seed=k)
    ref = assert_same(gt, res, dataset)
    assert 0.0 < ref["AP"] < 1.0
