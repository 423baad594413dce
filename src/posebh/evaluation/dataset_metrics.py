"""Dataset-level evaluation: dispatch by the skeleton's protocol, and a plain-text table.

Dispatch: ``coco_wholebody`` -> per-part xtcocotools AP (whatever the engine: only xtcocotools
has the part iouTypes); otherwise by ``skeleton.metric``
(``oks`` -> OKS AP/AR, ``pckh`` -> MPII PCKh (+ OKS AP when sigmas and GT areas exist),
``pck`` -> PCK@0.2 of the GT box max side, AUC over 0..30 px, EPE).

PCK-style protocols need one prediction per GT instance (top-down with GT boxes). A result that
carries ``ann_id`` is paired with that GT annotation; otherwise results are paired greedily per
image, highest score first, each with the unpaired GT of smallest mean distance over the GT's
labelled keypoints. A GT left without a prediction counts its labelled joints as misses (and is
left out of EPE).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from posebh import skeletons
from posebh.evaluation.oks import DEFAULT_ENGINE, ENGINES, evaluate_oks, evaluate_wholebody
from posebh.evaluation.pck import auc, epe, pck_bbox, pckh

PCK_THR = 0.2
AUC_NORM_PX = 30.0
AUC_N_THR = 20


def match_to_gt(gt: dict, results: list[dict], num_keypoints: int) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Pair results with GT annotations: (pred (N,K,2) NaN where unpaired, paired (N,) bool, anns)."""
    anns = [a for a in gt["annotations"] if not a.get("iscrowd", 0)]
    pred = np.full((len(anns), num_keypoints, 2), np.nan)
    paired = np.zeros(len(anns), dtype=bool)
    by_id = {a["id"]: i for i, a in enumerate(anns)}
    gts_by_image: dict[Any, list[int]] = defaultdict(list)
    for i, a in enumerate(anns):
        gts_by_image[a["image_id"]].append(i)
    loose: dict[Any, list[dict]] = defaultdict(list)
    for r in results:
        xy = np.asarray(r["keypoints"], dtype=np.float64).reshape(-1, 3)[:, :2]
        if "ann_id" in r and r["ann_id"] in by_id and not paired[by_id[r["ann_id"]]]:
            pred[by_id[r["ann_id"]]] = xy
            paired[by_id[r["ann_id"]]] = True
        else:
            loose[r["image_id"]].append(r)
    for image_id, res in loose.items():
        for r in sorted(res, key=lambda x: -x["score"]):
            free = [i for i in gts_by_image.get(image_id, []) if not paired[i]]
            if not free:
                break
            xy = np.asarray(r["keypoints"], dtype=np.float64).reshape(-1, 3)[:, :2]

            def cost(i: int) -> float:
                g = np.asarray(anns[i]["keypoints"], dtype=np.float64).reshape(-1, 3)
                vis = g[:, 2] > 0
                if not vis.any():
                    x, y, w, h = anns[i]["bbox"]
                    return float(np.linalg.norm(xy.mean(axis=0) - [x + w / 2, y + h / 2]))
                return float(np.linalg.norm(xy[vis] - g[vis, :2], axis=1).mean())

            best = min(free, key=cost)
            pred[best] = xy
            paired[best] = True
    return pred, paired, anns


def _gt_arrays(anns: list[dict], k: int) -> tuple[np.ndarray, np.ndarray]:
    g = np.array([np.asarray(a["keypoints"], dtype=np.float64).reshape(k, 3) for a in anns])
    g = g.reshape(len(anns), k, 3)
    return g[..., :2], g[..., 2] > 0


def _eval_oks(gt: dict, results: list[dict], dataset: str, engine: str) -> dict:
    return evaluate_oks(gt, results, dataset, engine)


def _eval_wholebody(gt: dict, results: list[dict], dataset: str, engine: str) -> dict:
    """Per-part AP through xtcocotools for every engine (the others have no part iouTypes)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    return evaluate_wholebody(gt, results)


def _eval_pckh(gt: dict, results: list[dict], dataset: str, engine: str) -> dict:
    sk = skeletons.get(dataset)
    pred, paired, anns = match_to_gt(gt, results, sk.num_keypoints)
    gxy, vis = _gt_arrays(anns, sk.num_keypoints)
    heads = np.array([a["head_bbox"] for a in anns], dtype=np.float64).reshape(-1, 4)
    out = pckh(pred, gxy, vis, heads, joint_names=sk.keypoints)
    out["num_instances"] = len(anns)
    out["num_unpaired_gt"] = int((~paired).sum())
    if sk.sigmas is not None and all("area" in a for a in gt["annotations"]):
        out.update(evaluate_oks(gt, results, dataset, engine))
    return out


def _eval_pck(gt: dict, results: list[dict], dataset: str, engine: str) -> dict:
    sk = skeletons.get(dataset)
    pred, paired, anns = match_to_gt(gt, results, sk.num_keypoints)
    gxy, vis = _gt_arrays(anns, sk.num_keypoints)
    sizes = np.array([max(a["bbox"][2], a["bbox"][3]) for a in anns], dtype=np.float64)
    mask = vis & paired[:, None]
    filled = np.where(np.isnan(pred), np.inf, pred)
    _, pck, _ = pck_bbox(filled, gxy, vis, sizes, PCK_THR)
    return {
        f"PCK@{PCK_THR:g}": pck,
        f"AUC@{AUC_NORM_PX:g}px": auc(filled, gxy, vis, AUC_NORM_PX, AUC_N_THR),
        "EPE": epe(np.nan_to_num(pred), gxy, mask),
        "num_instances": len(anns),
        "num_unpaired_gt": int((~paired).sum()),
    }


EVALUATORS: dict[str, Callable[[dict, list[dict], str, str], dict]] = {
    "oks": _eval_oks,
    "pckh": _eval_pckh,
    "pck": _eval_pck,
}
DATASET_OVERRIDES: dict[str, Callable[[dict, list[dict], str, str], dict]] = {
    "coco_wholebody": _eval_wholebody,
}


def pck_of_results(gt: dict, results: list[dict], dataset: str, thr: float = PCK_THR) -> float:
    """PCK@thr of the GT box's longer side over all labelled joints (any skeleton, incl. 133 WholeBody).

    Needs results carrying ``ann_id`` (top-down with GT boxes); unpaired GT joints count as misses.
    """
    from posebh.data.dataset import instance_keypoints

    k = skeletons.get(dataset).num_keypoints
    anns = [a for a in gt["annotations"] if not a.get("iscrowd", 0)]
    index = {a["id"]: i for i, a in enumerate(anns)}
    pred = np.full((len(anns), k, 2), np.inf)
    for r in results:
        if r.get("ann_id") in index:
            pred[index[r["ann_id"]]] = np.asarray(r["keypoints"], dtype=np.float64).reshape(k, 3)[:, :2]
    g = np.array([instance_keypoints(a, dataset) for a in anns], dtype=np.float64).reshape(-1, k, 3)
    sizes = np.array([max(a["bbox"][2], a["bbox"][3]) for a in anns], dtype=np.float64)
    correct = np.linalg.norm(pred - g[..., :2], axis=-1) < thr * sizes[:, None]
    vis = g[..., 2] > 0
    return float(correct[vis].mean()) if vis.any() else 0.0


def evaluate_dataset(gt: dict, results: list[dict], dataset: str, engine: str = DEFAULT_ENGINE) -> dict:
    """The dataset's reported metrics (protocol chosen from its skeleton)."""
    sk = skeletons.get(dataset)
    fn = DATASET_OVERRIDES.get(dataset) or EVALUATORS[sk.metric]
    return fn(gt, results, dataset, engine)


def flatten(metrics: dict, prefix: str = "") -> dict[str, Any]:
    """Nested metric dicts flattened to ``part.metric`` keys."""
    flat: dict[str, Any] = {}
    for k, v in metrics.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            flat.update(flatten(v, key + "."))
        else:
            flat[key] = v
    return flat


def format_table(metrics: dict) -> str:
    """A readable two-column aligned table of (flattened) metrics."""
    flat = flatten(metrics)
    if not flat:
        return "(no metrics)"
    width = max(len(k) for k in flat)
    lines = []
    for k, v in flat.items():
        val = f"{v:.4f}" if isinstance(v, float) else str(v)
        lines.append(f"{k:<{width}}  {val:>10}")
    return "\n".join(lines)
