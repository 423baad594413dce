"""Evaluation protocols: engine parity, documented engine disagreements, fixtures F1-F4."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from support import REAL_SAMPLES, real_sample

from posebh import skeletons
from posebh.evaluation import (
    auc,
    epe,
    evaluate_oks,
    evaluate_wholebody,
    load_gt,
    load_results,
    oks_nms,
    pck_accuracy,
    pck_bbox,
    pck_normalized,
    pckh,
    rescore,
    topdown_results,
)

COCO_GT = "coco/test_coco.json"  # under support.REAL_SAMPLES
WB_GT = REAL_SAMPLES / "coco" / "test_coco_wholebody.json"


# ----------------------------------------------------------------------------- synthetic OKS data
def make_dataset(k: int, n_images: int = 6, seed: int = 0) -> dict:
    """Random COCO-style GT: 1-3 persons per image, ids from 1, consistent num_keypoints."""
    rng = np.random.default_rng(seed)
    images, anns = [], []
    aid = 1
    for i in range(1, n_images + 1):
        images.append({"id": i, "file_name": f"{i}.jpg", "width": 640, "height": 480})
        for _ in range(rng.integers(1, 4)):
            w, h = rng.uniform(40, 250, size=2)
            x, y = rng.uniform(0, 640 - w), rng.uniform(0, 480 - h)
            xs, ys = rng.uniform(x, x + w, k), rng.uniform(y, y + h, k)
            v = np.where(rng.random(k) < 0.8, 2, 0)
            kp = np.stack([np.where(v > 0, xs, 0), np.where(v > 0, ys, 0), v], 1).reshape(-1)
            anns.append(
                {
                    "id": aid,
                    "image_id": i,
                    "category_id": 1,
                    "keypoints": [float(t) for t in kp],
                    "num_keypoints": int((v > 0).sum()),
                    "bbox": [float(x), float(y), float(w), float(h)],
                    "area": float(w * h * 0.8),
                    "iscrowd": 0,
                }
            )
            aid += 1
    return {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "person"}]}


def perturbed_results(gt: dict, noise: float, seed: int = 1, extra_fp: bool = True) -> list[dict]:
    rng = np.random.default_rng(seed)
    res = []
    for a in gt["annotations"]:
        kp = np.asarray(a["keypoints"], dtype=float).reshape(-1, 3)
        scale = np.sqrt(a["area"])
        xy = kp[:, :2] + rng.normal(0, noise * scale, size=(len(kp), 2))
        sc = rng.uniform(0.3, 1.0, size=len(kp))
        res.append(
            {
                "image_id": a["image_id"],
                "category_id": 1,
                "keypoints": [float(t) for t in np.column_stack([xy, sc]).reshape(-1)],
                "score": float(rng.uniform(0.5, 1.0)),
            }
        )
        if extra_fp and rng.random() < 0.3:
            fp = np.column_stack([rng.uniform(0, 640, len(kp)), rng.uniform(0, 480, len(kp)), sc])
            res.append({"image_id": a["image_id"], "category_id": 1,
                        "keypoints": [float(t) for t in fp.reshape(-1)],
                        "score": float(rng.uniform(0.1, 0.9))})
    return res


@pytest.mark.parametrize("dataset", ["coco", "ap10k", "mpii", "pw3d"])
@pytest.mark.parametrize("noise", [0.0, 0.03, 0.1])
def test_engines_agree(dataset: str, noise: float) -> None:
    k = skeletons.get(dataset).num_keypoints
    gt = make_dataset(k, seed=len(dataset))
    res = perturbed_results(gt, noise, seed=int(noise * 100) + 3)
    xt = evaluate_oks(gt, res, dataset, engine="xtcocotools")
    py = evaluate_oks(gt, res, dataset, engine="pycocotools")
    assert set(xt) == {"AP", "AP50", "AP75", "APM", "APL", "AR", "AR50", "AR75", "ARM", "ARL"}
    for key in xt:
        assert xt[key] == pytest.approx(py[key], abs=1e-12), key


def test_perfect_is_one() -> None:
    gt = make_dataset(17, seed=5)
    res = perturbed_results(gt, 0.0, extra_fp=False)
    assert evaluate_oks(gt, res, "coco")["AP"] == pytest.approx(1.0)


def test_input_not_mutated_and_empty_results() -> None:
    gt = make_dataset(17)
    res = perturbed_results(gt, 0.05)
    gt0, res0 = copy.deepcopy(gt), copy.deepcopy(res)
    evaluate_oks(gt, res, "coco")
    assert gt == gt0 and res == res0
    assert all(v == 0.0 for v in evaluate_oks(gt, [], "coco").values())


def test_disagreement_all_zero_keypoint_scores() -> None:
    """(a) xtcocotools drops a detection whose keypoint scores are all 0; pycocotools keeps it."""
    gt = make_dataset(17, seed=7)
    res = perturbed_results(gt, 0.02, extra_fp=False)
    a = gt["annotations"][0]
    kp = np.asarray(a["keypoints"], dtype=float).reshape(-1, 3)
    kp[:, :2] += 300.0  # a confident false positive ...
    kp[:, 2] = 0.0  # ... with all keypoint scores 0
    res.append({"image_id": a["image_id"], "category_id": 1,
                "keypoints": [float(t) for t in kp.reshape(-1)], "score": 1.5})
    without = evaluate_oks(gt, res[:-1], "coco")
    xt = evaluate_oks(gt, res, "coco", engine="xtcocotools")
    py = evaluate_oks(gt, res, "coco", engine="pycocotools")
    assert xt == without
    assert py["AP"] < xt["AP"]


def test_disagreement_num_keypoints_field() -> None:
    """(b) GT num_keypoints 0 but visible points: pycocotools ignores that GT, xtcocotools scores it."""
    gt = make_dataset(17, seed=9)
    res = perturbed_results(gt, 0.0, extra_fp=False)
    del res[0]  # the GT in question is missed, so it matters whether it counts
    gt["annotations"][0]["num_keypoints"] = 0
    xt = evaluate_oks(gt, res, "coco", engine="xtcocotools")
    py = evaluate_oks(gt, res, "coco", engine="pycocotools")
    n = len(gt["annotations"])
    assert py["AR"] == pytest.approx(1.0)
    assert xt["AR"] == pytest.approx((n - 1) / n)


def test_pycocotools_rejects_use_area_false() -> None:
    gt = make_dataset(14)
    res = perturbed_results(gt, 0.02)
    with pytest.raises(ValueError, match="use_area=False"):
        evaluate_oks(gt, res, "aic", engine="pycocotools")
    assert 0.0 < evaluate_oks(gt, res, "aic")["AP"] <= 1.0


# ----------------------------------------------------------------------------- F4 real samples
def _gt_as_results(gt: dict) -> list[dict]:
    return [{"image_id": a["image_id"], "category_id": a["category_id"],
             "keypoints": a["keypoints"], "score": 1.0} for a in gt["annotations"]]


def test_f4c0_perfect_coco() -> None:
    gt = json.loads(real_sample(COCO_GT).read_text())
    res = _gt_as_results(gt)
    xt = evaluate_oks(gt, res, "coco")
    assert all(v == pytest.approx(1.0) for v in xt.values())
    py = evaluate_oks(gt, res, "coco", engine="pycocotools")  # keeps the 2 all-zero detections
    assert py["AP"] == pytest.approx(0.8939179632248939, abs=1e-12)
    assert py["AR"] == pytest.approx(1.0)


def test_f4c1_rescore_oks_nms() -> None:
    gt = json.loads(real_sample(COCO_GT).read_text())
    inst = []
    for a in gt["annotations"]:
        w, h = a["bbox"][2], a["bbox"][3]
        k = np.array(a["keypoints"], dtype=np.float32).reshape(-1, 3)
        k[:, 0] *= 0.98
        k[:, 1] *= 1.02
        k[:, 2] *= 0.8
        inst.append({"id": a["id"], "image_id": a["image_id"], "keypoints": k,
                     "score": np.float32(0.98), "area": np.prod(np.array([w * 1.25, h * 1.25]))})
    res = topdown_results(inst, skeletons.get("coco").sigmas, vis_thr=0.2, oks_thr=0.9)
    got = evaluate_oks(gt, res, "coco")
    expected = [0.5287458745874587, 0.9042904290429042, 0.5009900990099009, 0.42475247524752474,
                0.6219554455445544, 0.5833333333333333, 0.9166666666666666, 0.5833333333333334,
                0.44000000000000006, 0.6857142857142857]
    assert list(got.values()) == pytest.approx(expected, abs=1e-12)


def test_rescore_and_nms_units() -> None:
    kp = np.array([[0, 0, 0.9], [1, 1, 0.1], [2, 2, 0.5]], dtype=float)
    (r,) = rescore([{"keypoints": kp, "score": 0.5}], vis_thr=0.2)
    assert r["score"] == pytest.approx(0.5 * 0.7)
    (z,) = rescore([{"keypoints": kp * [1, 1, 0], "score": 0.5}])
    assert z["score"] == 0
    sig = [0.1, 0.1, 0.1]
    a = {"keypoints": kp, "score": 0.9, "area": 100.0}
    b = {"keypoints": kp + [0.1, 0.1, 0], "score": 0.8, "area": 100.0}  # near duplicate
    c = {"keypoints": kp + [50, 50, 0], "score": 0.7, "area": 100.0}
    assert oks_nms([b, a, c], 0.9, sig) == [1, 2]
    assert oks_nms([], 0.9, sig) == []


def _wholebody_gt() -> dict:
    if WB_GT.is_file():
        return json.loads(WB_GT.read_text())
    base = make_dataset(133, seed=11)
    for a in base["annotations"]:
        kp = a.pop("keypoints")
        cuts = np.cumsum([0, 17, 6, 68, 21, 21]) * 3
        for f, s, e in zip(["keypoints", "foot_kpts", "face_kpts", "lefthand_kpts",
                            "righthand_kpts"], cuts[:-1], cuts[1:], strict=True):
            a[f] = kp[s:e]
    return base


def test_wholebody_perfect_each_part() -> None:
    gt = _wholebody_gt()
    fields = ["keypoints", "foot_kpts", "face_kpts", "lefthand_kpts", "righthand_kpts"]
    res = [{"image_id": a["image_id"], "category_id": 1,
            "keypoints": sum((list(a[f]) for f in fields), []), "score": 1.0}
           for a in gt["annotations"]]
    out = evaluate_wholebody(gt, res)
    assert set(out) == {"body", "foot", "face", "lefthand", "righthand", "wholebody"}
    for part, stats in out.items():
        assert stats["AP"] == pytest.approx(1.0), part
        assert stats["AR"] == pytest.approx(1.0), part


# ----------------------------------------------------------------------------- F1 / F2 PCK family
def _f1_pck_arrays():
    pred = np.zeros((2, 5, 2))
    gt = np.zeros((2, 5, 2))
    pred[0] = [[10, 0], [20, 20], [0, 0], [30, 30], [0, 10]]
    gt[0] = [[10, 0], [10, 10], [-1, 0], [30, 30], [0, 10]]
    mask = np.array([[1, 1, 0, 1, 1]] * 2, dtype=bool)
    return pred, gt, mask


def test_f1_pck() -> None:
    pred, gt, mask = _f1_pck_arrays()
    acc, avg, cnt = pck_accuracy(pred, gt, mask, 0.5, np.full((2, 2), 10.0))
    np.testing.assert_allclose(acc, [1, 0.5, -1, 1, 1])
    assert (avg, cnt) == (pytest.approx(0.875), 4)
    acc, avg, cnt = pck_bbox(pred, gt, mask, [10.0, 10.0], thr=0.5)
    assert avg == pytest.approx(0.875) and cnt == 4
    acc, avg, cnt = pck_accuracy(pred, gt, mask, 0.5, np.zeros((2, 2)))
    np.testing.assert_allclose(acc, [-1] * 5)
    assert (avg, cnt) == (0.0, 0)
    norm = np.array([[0, 0], [10, 10]], dtype=float)
    acc, avg, cnt = pck_normalized(pred, gt, mask, norm, 0.5)
    np.testing.assert_allclose(acc, [1, 1, -1, 1, 1])
    assert (avg, cnt) == (pytest.approx(1.0), 4)
    assert norm[0, 0] == 0  # input not mutated (mmpose mutates it)


def test_f1_auc_epe() -> None:
    pred = np.array([[[10, 4], [10, 18], [0, 0], [40, 40], [20, 10]]], dtype=float)
    gt = np.array([[[10, 0], [10, 10], [0, -1], [30, 30], [0, 10]]], dtype=float)
    mask = np.array([[1, 1, 0, 1, 1]], dtype=bool)
    assert auc(pred, gt, mask, norm=20, n_thr=4) == pytest.approx(0.375, abs=1e-12)
    assert epe(pred, gt, mask) == pytest.approx(11.5355339, abs=1e-6)


def _f2_arrays():
    n, k = 8, 24
    gt = np.zeros((n, k, 2))
    mask = np.ones((n, k), dtype=bool)
    bbox_size = np.zeros(n)
    head = np.zeros(n)
    for i in range(n):
        j = np.arange(k)
        gt[i, :, 0] = gt[i, :, 1] = 0.5 * i * j
        mask[i, (2 * i) % 8] = False
        x1, y1, x2, y2 = np.array([0.1, 0.2, 0.3, 0.4]) * 20 * i  # xyxy
        bbox_size[i] = max(x2 - x1, y2 - y1)
        head[i] = i
    pred = gt * np.array([0.95, 1.05])
    return pred, gt, mask, bbox_size, head


@pytest.mark.parametrize(
    "norm_kind,thr,expected",
    [("bbox", 0.5, (1.0, 1.0, 1.0)), ("head", 0.3, (0.9, 0.0, 0.375)), ("bbox", 0.05, (0.6, 0.0, 0.25))],
)
def test_f2_subsets(norm_kind: str, thr: float, expected: tuple[float, float, float]) -> None:
    pred, gt, mask, bbox_size, head = _f2_arrays()
    norm = bbox_size if norm_kind == "bbox" else head
    parts = [np.arange(0, 10), np.arange(10, 24), np.arange(24)]
    for idx, exp in zip(parts, expected, strict=True):
        _, avg, _ = pck_normalized(pred[:, idx], gt[:, idx], mask[:, idx], norm, thr)
        assert avg == pytest.approx(exp, abs=1e-12)


# ----------------------------------------------------------------------------- F3 MPII PCKh
def _mpii_case(n: int = 4):
    rng = np.random.default_rng(0)
    gt = rng.uniform(0, 200, size=(n, 16, 2))
    vis = np.ones((n, 16), dtype=bool)
    heads = np.tile([10.0, 10.0, 30.0, 40.0], (n, 1))  # diagonal 50 -> head size 30
    return gt, vis, heads


def test_f3_perfect_and_keys() -> None:
    gt, vis, heads = _mpii_case()
    out = pckh(gt.copy(), gt, vis, heads, joint_names=skeletons.get("mpii").keypoints)
    for key in ("Head", "Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle", "PCKh", "PCKh@0.1"):
        assert out[key] == pytest.approx(100.0)
    assert set(out["per_joint"]) == set(skeletons.get("mpii").keypoints)


def test_f3_threshold_inclusive() -> None:
    gt, vis, heads = _mpii_case()
    pred = gt.copy()
    pred[:, 9, 0] += 15.0  # head_top error exactly 0.5 x head size (30)
    assert pckh(pred, gt, vis, heads)["Head"] == pytest.approx(100.0)  # `<=`
    pred[:, 9, 0] += 1e-6
    assert pckh(pred, gt, vis, heads)["Head"] == pytest.approx(0.0)
    pred = gt.copy()
    pred[:, 9, 0] += 3.0  # exactly 0.1 x head size: counts at 0.10 (would too at 0.11)
    assert pckh(pred, gt, vis, heads)["PCKh@0.1"] == pytest.approx(100.0)
    pred[:, 9, 0] += 0.15  # 0.105 x head size: a miss at exactly 0.10
    assert pckh(pred, gt, vis, heads)["PCKh@0.1"] < 100.0


def test_f3_pelvis_thorax_excluded_and_invisible_ignored() -> None:
    gt, vis, heads = _mpii_case()
    pred = gt.copy()
    pred[:, 6] += 100.0
    pred[:, 7] += 100.0
    out = pckh(pred, gt, vis, heads)
    assert out["PCKh"] == pytest.approx(100.0)
    assert out["per_joint"]["joint_6"] == pytest.approx(0.0)
    pred = gt.copy()
    pred[0, 0] += 100.0
    vis2 = vis.copy()
    vis2[0, 0] = False
    assert pckh(pred, gt, vis2, heads)["PCKh"] == pytest.approx(100.0)
    # count weighting: one miss among 4 right ankles, 14 joints x 4 counted
    out = pckh(pred, gt, vis, heads)
    assert out["per_joint"]["joint_0"] == pytest.approx(75.0)
    assert out["PCKh"] == pytest.approx(100.0 * 55 / 56)
    assert out["Ankle"] == pytest.approx(87.5)


# ----------------------------------------------------------------------------- validation
def test_validate_messages(tmp_path: Path) -> None:
    gt = make_dataset(17)
    gp = tmp_path / "gt.json"
    gp.write_text(json.dumps(gt))
    assert load_gt(gp, "coco")["annotations"]
    with pytest.raises(ValueError, match="missing.json: file not found"):
        load_gt(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json: malformed JSON"):
        load_gt(bad)
    with pytest.raises(ValueError, match="expected 42"):
        load_gt(gp, "aic")
    res = perturbed_results(gt, 0.02)
    rp = tmp_path / "res.json"
    res[0]["image_id"] = 999
    rp.write_text(json.dumps(res))
    with pytest.raises(ValueError, match="res.json: .*999.*absent from the GT"):
        load_results(rp, gt, "coco")
    del res[0]["score"]
    rp.write_text(json.dumps(res))
    with pytest.raises(ValueError, match="missing key 'score'"):
        load_results(rp, gt, "coco")


@pytest.mark.parametrize("dataset,rel", [("aic", "aic/test_aic.json"), ("ap10k", "ap10k/test_ap10k.json")])
def test_real_samples_perfect(dataset: str, rel: str) -> None:
    """mmpose expects AP 1.0 with AP(M) = AR(M) = -1 (no medium instance) on these samples."""
    gt = load_gt(real_sample(rel), dataset)
    out = evaluate_oks(gt, _gt_as_results(gt), dataset)
    assert out["AP"] == pytest.approx(1.0) and out["AR"] == pytest.approx(1.0)
    assert out["APM"] == -1.0 and out["ARM"] == -1.0


def test_faster_coco_eval_engine_matches_xtcocotools() -> None:
    """The optional fast engine gives the reference numbers on ordinary predictions."""
    pytest.importorskip("faster_coco_eval")
    from posebh.bench.evaluators import synthetic_keypoint_set

    gt, results = synthetic_keypoint_set(300, seed=1)
    ref = evaluate_oks(gt, results, "coco", engine="xtcocotools")
    fast = evaluate_oks(gt, results, "coco", engine="faster-coco-eval")
    assert max(abs(ref[k] - fast[k]) for k in ref) < 1e-12
    with pytest.raises(ValueError, match="use_area=False"):
        evaluate_oks(gt, results, "aic", engine="faster-coco-eval")
