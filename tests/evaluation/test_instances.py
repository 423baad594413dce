"""evaluation.instances: per-instance scores reproduce the real evaluators, under any instance weights.

The GT sets are small constructed COCO-format sets with one instance per image (top-down with GT
boxes); the references are ``evaluate_dataset`` (xtcocotools) and ``evaluation.pck.pckh``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from support import ROOT

from posebh import skeletons
from posebh.evaluation.dataset_metrics import evaluate_dataset
from posebh.evaluation.instances import (
    InstanceScores,
    instance_scores,
    metric,
    oks_instances,
    pckh_instances,
    weighted_metric,
)
from posebh.evaluation.oks import WHOLEBODY_PARTS
from posebh.evaluation.pck import pckh

IGNORED, FAR_IGNORED, MISSING, ZERO_SCORES = 2, 5, 7, 9  # image ids of the edge cases


def make_case(dataset: str, n: int = 14, seed: int = 0, categories: tuple[int, ...] = (1,)) -> tuple[dict, list]:
    """GT (one instance per image; area 0.7·w·h so the area rule matters) and top-down results.

    Edge cases: image IGNORED has a GT without labelled keypoints and a detection inside its box,
    FAR_IGNORED one without labelled keypoints and a detection far outside it, MISSING has no
    result, ZERO_SCORES a result whose keypoint scores are all 0; scores repeat (ties).
    """
    rng = np.random.default_rng(seed)
    k = skeletons.get(dataset).num_keypoints
    images, anns, results = [], [], []
    for i in range(1, n + 1):
        images.append({"id": i, "file_name": f"{i}.jpg", "width": 640, "height": 480})
        w, h = rng.uniform(60, 200, size=2)
        x, y = rng.uniform(0, 400), rng.uniform(0, 250)
        v = np.where(rng.random(k) < 0.8, 2.0, 0.0)
        if i in (IGNORED, FAR_IGNORED):
            v[:] = 0
        xs, ys = rng.uniform(x, x + w, k), rng.uniform(y, y + h, k)
        gk = np.stack([xs * (v > 0), ys * (v > 0), v], 1)  # (K, 3)
        ann = {"id": 100 + i, "image_id": i, "category_id": categories[i % len(categories)],
               "bbox": [float(x), float(y), float(w), float(h)], "area": float(0.7 * w * h),
               "iscrowd": 0}
        if dataset == "mpii":
            ann["head_bbox"] = [float(x), float(y), float(w / 4), float(h / 5)]
        if dataset == "coco_wholebody":
            start = 0
            for _, field, _, size in WHOLEBODY_PARTS:
                ann[field] = [float(t) for t in gk[start:start + size].reshape(-1)]
                start += size
        else:
            ann["keypoints"] = [float(t) for t in gk.reshape(-1)]
        anns.append(ann)
        if i == MISSING:
            continue
        noise = np.exp(rng.uniform(np.log(0.003), np.log(0.15))) * np.sqrt(w * h)  # OKS spread out
        d = np.stack([xs + rng.normal(0, noise, k), ys + rng.normal(0, noise, k),
                      rng.uniform(0.2, 1.0, k)], 1)
        if i == IGNORED:
            d[:, :2] = [x + w / 2, y + h / 2]
        if i == FAR_IGNORED:
            d[:, :2] = [x + 3.5 * w, y + 3.5 * h]
        if i == ZERO_SCORES:
            d[:, 2] = 0
        results.append({"image_id": i, "category_id": ann["category_id"], "ann_id": ann["id"],
                        "keypoints": [float(t) for t in d.reshape(-1)],
                        "score": float(np.round(rng.uniform(0.3, 1.0), 1))})  # 1 decimal: ties
        if dataset == "coco_wholebody":  # the whole-body AP ranks by this one
            results[-1]["wholebody_score"] = float(np.round(rng.uniform(0.3, 1.0), 1))
    cats = [{"id": c, "name": f"c{c}"} for c in sorted({*categories, 99})]  # 99: listed, absent
    return {"images": images, "annotations": anns, "categories": cats}, results


def engine_metric(gt: dict, results: list, dataset: str) -> float:
    """The dataset's headline metric from the suite's evaluator (AP x 100 or PCKh %)."""
    out = evaluate_dataset(gt, results, dataset, engine="xtcocotools")
    if dataset == "coco_wholebody":
        return 100 * out["wholebody"]["AP"]
    return out["PCKh"] if dataset == "mpii" else 100 * out["AP"]


def duplicated(gt: dict, results: list, weights: np.ndarray) -> tuple[dict, list]:
    """Each image (one instance) repeated ``weights`` times, re-id'd so copies stay in image order."""
    wi = dict(zip(sorted(im["id"] for im in gt["images"]), weights, strict=True))
    res_by_image = {r["image_id"]: r for r in results}
    images, anns, res = [], [], []
    for a in gt["annotations"]:
        im = a["image_id"]
        for c in range(int(wi[im])):
            new = im * 100 + c
            images.append({"id": new, "file_name": f"{new}.jpg", "width": 640, "height": 480})
            anns.append({**a, "id": a["id"] * 100 + c, "image_id": new})
            if im in res_by_image:
                res.append({**res_by_image[im], "image_id": new, "ann_id": a["id"] * 100 + c})
    return {**gt, "images": images, "annotations": anns}, res


CASES = {  # dataset -> categories
    "coco": (1,),
    "aic": (1,),
    "ap10k": (1, 2, 3),
    "coco_wholebody": (1,),
    "mpii": (1,),
}


@pytest.mark.parametrize("dataset", list(CASES))
def test_unit_weights_equal_the_engine(dataset):
    gt, results = make_case(dataset, categories=CASES[dataset])
    inst = instance_scores(gt, results, dataset)
    assert len(inst.image) == len(gt["annotations"])
    expected = engine_metric(gt, results, dataset)
    assert 0 < expected < 100  # not a degenerate case
    assert metric(inst) == pytest.approx(expected, abs=1e-9)
    assert weighted_metric(inst, np.ones((2, len(inst.image)))) == pytest.approx([expected] * 2, abs=1e-9)


@pytest.mark.parametrize("dataset", list(CASES))
def test_integer_weights_equal_the_engine_on_duplicated_images(dataset):
    gt, results = make_case(dataset, categories=CASES[dataset])
    inst = instance_scores(gt, results, dataset)
    rng = np.random.default_rng(1)
    weights = rng.multinomial(len(inst.image), np.full(len(inst.image), 1 / len(inst.image)), size=3)
    got = weighted_metric(inst, weights)
    for r, w in enumerate(weights):
        assert got[r] == pytest.approx(engine_metric(*duplicated(gt, results, w), dataset), abs=1e-9)


def test_edge_cases_are_scored_as_xtcocotools():
    gt, results = make_case("coco")
    inst = oks_instances(gt, results, "coco")
    at = {im: n for n, im in enumerate(sorted(im["id"] for im in gt["images"]))}
    assert inst.ignored[at[IGNORED]] and inst.ignored[at[FAR_IGNORED]]
    assert inst.ignored.sum() == 2
    assert inst.oks[at[IGNORED]] == 1.0  # detection inside the grown GT box: box-distance rule
    assert inst.oks[at[FAR_IGNORED]] < 0.5  # far outside: a false positive
    assert np.isnan(inst.oks[at[MISSING]]) and np.isnan(inst.score[at[MISSING]])
    assert np.isnan(inst.oks[at[ZERO_SCORES]])  # all-zero keypoint scores: dropped
    assert len(set(inst.score[~np.isnan(inst.score)])) < (~np.isnan(inst.score)).sum()  # ties


def test_the_edge_cases_change_the_metric():
    """Each edge case moves AP, so the equality tests above would see each rule broken."""
    gt, results = make_case("coco")
    base = engine_metric(gt, results, "coco")
    by_image = {r["image_id"]: r for r in results}
    keep_far = [r for r in results if r["image_id"] != FAR_IGNORED]  # the FP on an ignored GT
    assert engine_metric(gt, keep_far, "coco") != pytest.approx(base)
    in_box = [r for r in results if r["image_id"] != IGNORED]  # the matched-to-ignored detection
    assert metric(oks_instances(gt, in_box, "coco")) == pytest.approx(base)  # it counts nothing
    zero = by_image[ZERO_SCORES]
    positive = [{**r, "keypoints": [v if j % 3 != 2 else 0.5 for j, v in enumerate(r["keypoints"])]}
                if r is zero else r for r in results]
    assert engine_metric(gt, positive, "coco") != pytest.approx(base)
    assert metric(oks_instances(gt, positive, "coco")) == pytest.approx(
        engine_metric(gt, positive, "coco"), abs=1e-9)


def test_ap10k_averages_categories_and_skips_those_without_positive_gt():
    gt, results = make_case("ap10k", categories=(1, 2, 3))
    inst = oks_instances(gt, results, "ap10k")
    per_cat = []
    for c in (1, 2, 3):
        sub = {**gt, "annotations": [a for a in gt["annotations"] if a["category_id"] == c]}
        per_cat.append(engine_metric(sub, [r for r in results if r["category_id"] == c], "ap10k"))
    assert metric(inst) == pytest.approx(np.mean(per_cat), abs=1e-9)
    # a category whose only GT is ignored has no AP (xtcocotools: -1, left out of the mean)
    only_ignored = [{**a, "category_id": 4} if a["image_id"] == IGNORED else a for a in gt["annotations"]]
    gt4 = {**gt, "annotations": only_ignored, "categories": [*gt["categories"], {"id": 4, "name": "c4"}]}
    res4 = [{**r, "category_id": 4} if r["image_id"] == IGNORED else r for r in results]
    assert metric(oks_instances(gt4, res4, "ap10k")) == pytest.approx(engine_metric(gt4, res4, "ap10k"),
                                                                      abs=1e-9)


def test_mpii_pckh_equals_the_pckh_function():
    gt, results = make_case("mpii")
    inst = pckh_instances(gt, results)
    anns = sorted(gt["annotations"], key=lambda a: a["image_id"])
    by_ann = {r["ann_id"]: r for r in results}
    pred = np.array([np.asarray(by_ann[a["id"]]["keypoints"]).reshape(16, 3)[:, :2] if a["id"] in by_ann
                     else np.full((16, 2), np.nan) for a in anns])
    g = np.array([np.asarray(a["keypoints"]).reshape(16, 3) for a in anns])
    ref = pckh(pred, g[..., :2], g[..., 2] > 0, [a["head_bbox"] for a in anns])["PCKh"]
    assert metric(inst) == pytest.approx(ref, abs=1e-9)
    assert inst.labelled[0] == ((g[0, :, 2] > 0).sum() - (g[0, [6, 7], 2] > 0).sum())  # pelvis, thorax out


def test_pckh_counts_a_joint_exactly_at_the_threshold():
    """<= as PoseBH / HRNet: head box 3 x 4 -> head size 3, a joint 1.5 px off is a hit at 0.5."""
    gt = {"images": [{"id": 1}], "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "keypoints": [10.0, 20.0, 2.0] * 16,
         "head_bbox": [0, 0, 3, 4], "bbox": [0, 0, 50, 50]}]}
    det = [{"image_id": 1, "ann_id": 1, "score": 1.0, "keypoints": [11.5, 20.0, 1.0] * 16}]
    inst = pckh_instances(gt, det)
    assert (inst.hits[0], inst.labelled[0]) == (14, 14)
    assert metric(inst) == evaluate_dataset(gt, det, "mpii")["PCKh"] == 100.0


def test_video_ids_group_instances_by_video():
    gt, results = make_case("coco", n=5)
    for im, video in zip(gt["images"], (7, 7, 3, 9, 3), strict=True):
        im["video_id"] = video
    inst = oks_instances(gt, results, "coco")
    assert inst.image.tolist() == [1, 1, 0, 2, 0]  # videos 3, 7, 9 -> 0, 1, 2
    assert inst.n_images == 3
    del gt["images"][0]["video_id"]  # not every image names a video: group by image
    assert oks_instances(gt, results, "coco").image.tolist() == [0, 1, 2, 3, 4]


def test_to_dict_round_trip():
    gt, results = make_case("ap10k", categories=(1, 2))
    for inst in (oks_instances(gt, results, "ap10k"), pckh_instances(*make_case("mpii"))):
        back = InstanceScores.from_dict(inst.to_dict())
        assert back.kind == inst.kind
        for name, v in inst.__dict__.items():
            if isinstance(v, np.ndarray):
                got = getattr(back, name)
                assert got.dtype == v.dtype, name
                np.testing.assert_array_equal(got, v)
        assert metric(back) == metric(inst)


def test_crowd_gt_is_left_out():
    gt, results = make_case("coco", n=4)
    gt["annotations"][1]["iscrowd"] = 1
    inst = oks_instances(gt, results, "coco")
    assert len(inst.image) == 3


def test_bad_results_raise():
    gt, results = make_case("coco", n=4)
    loose = [{k: v for k, v in r.items() if k != "ann_id"} for r in results]
    with pytest.raises(ValueError, match="ann_id"):
        instance_scores(gt, loose, "coco")
    with pytest.raises(ValueError, match="two results for GT annotation"):
        instance_scores(gt, [*results, results[0]], "coco")
    pck_only = next(d for d in skeletons.load_skeletons() if skeletons.get(d).metric not in ("oks", "pckh"))
    with pytest.raises(ValueError, match="no instance scores"):
        instance_scores(gt, results, pck_only)


@pytest.mark.parametrize("dataset", ["coco", "aic", "mpii", "ap10k", "apt36k", "coco_wholebody"])
def test_equal_to_the_engine_on_the_suites_own_predictions(dataset):
    """Where the pipeline has run (data/ present): the suite's val set and posebh's predictions."""
    gt_path = ROOT / "data" / "02_intermediate" / f"{dataset}_val.json"
    pred_path = ROOT / "data" / "07_model_output" / "posebh_predictions.json"
    if not (gt_path.is_file() and pred_path.is_file()):
        pytest.skip("no pipeline outputs under data/ (clean clone)")
    gt, results = json.loads(gt_path.read_text()), json.loads(pred_path.read_text()).get(dataset)
    if not results:
        pytest.skip(f"posebh_predictions.json has no {dataset}")
    assert metric(instance_scores(gt, results, dataset)) == pytest.approx(
        engine_metric(gt, results, dataset), abs=1e-9)
