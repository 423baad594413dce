"""Top-down post-processing as ViTPose / PoseBH (mmpose 0.x ``TopDownCocoDataset.evaluate``) do it.

An *instance* is a dict with ``image_id``, ``keypoints`` ((K, 3) array-like, x, y, score),
``score`` (box score), ``area`` (box area used by OKS-NMS) and optionally ``id``/``category_id``.

Rescoring: score = box score x mean of the keypoint scores > vis_thr, accumulated in a Python loop
(the reference arithmetic; numpy's float32 mean can flip score ties and change AP, see F4c-1).
OKS-NMS: greedy, ``argsort()[::-1]`` order (ties: the later instance first), suppress where
OKS > thr, OKS scale = mean of the two areas.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np


def rescore(instances: list[dict], vis_thr: float = 0.2) -> list[dict]:
    """Copies of ``instances`` with ``score`` = box score x mean(keypoint scores > vis_thr)."""
    out = []
    for inst in instances:
        kpts = np.asarray(inst["keypoints"]).reshape(-1, 3)
        kpt_score = 0
        valid_num = 0
        for t_s in kpts[:, 2]:
            if t_s > vis_thr:
                kpt_score = kpt_score + t_s
                valid_num = valid_num + 1
        if valid_num != 0:
            kpt_score = kpt_score / valid_num
        new = dict(inst)
        new["score"] = kpt_score * inst["score"]
        out.append(new)
    return out


def oks_iou(
    g: np.ndarray,
    d: np.ndarray,
    a_g: float,
    a_d: np.ndarray,
    sigmas: Sequence[float],
    vis_thr: float | None = None,
) -> np.ndarray:
    """OKS of one flattened instance ``g`` (K*3) against rows of ``d`` (M, K*3), mmpose 0.x style."""
    sig = np.asarray(sigmas, dtype=np.float64)
    var = (sig * 2) ** 2
    xg, yg, vg = g[0::3], g[1::3], g[2::3]
    ious = np.zeros(len(d), dtype=np.float32)
    for n_d in range(len(d)):
        xd, yd, vd = d[n_d, 0::3], d[n_d, 1::3], d[n_d, 2::3]
        dx, dy = xd - xg, yd - yg
        e = (dx**2 + dy**2) / var / ((a_g + a_d[n_d]) / 2 + np.spacing(1)) / 2
        if vis_thr is not None:
            # reference quirk kept: `list(a) and list(b)` evaluates to list(b)
            ind = list(vg > vis_thr) and list(vd > vis_thr)
            e = e[ind]
        ious[n_d] = np.sum(np.exp(-e)) / len(e) if len(e) != 0 else 0.0
    return ious


def oks_nms(
    instances: list[dict],
    thr: float = 0.9,
    sigmas: Sequence[float] | None = None,
    vis_thr: float | None = None,
) -> list[int]:
    """Indices of ``instances`` kept by greedy OKS-NMS (suppress others with OKS > thr)."""
    if not instances:
        return []
    if sigmas is None:
        raise ValueError("oks_nms needs the dataset's OKS sigmas")
    scores = np.array([inst["score"] for inst in instances])
    kpts = np.array([np.asarray(inst["keypoints"]).reshape(-1) for inst in instances])
    areas = np.array([inst["area"] for inst in instances])
    order = scores.argsort()[::-1]
    keep: list[int] = []
    while len(order) > 0:
        i = order[0]
        keep.append(int(i))
        ovr = oks_iou(kpts[i], kpts[order[1:]], areas[i], areas[order[1:]], sigmas, vis_thr)
        inds = np.where(ovr <= thr)[0]
        order = order[inds + 1]
    return keep


def topdown_results(
    instances: list[dict],
    sigmas: Sequence[float] | None,
    vis_thr: float = 0.2,
    oks_thr: float = 0.9,
    use_nms: bool = True,
    category_id: int = 1,
) -> list[dict]:
    """COCO results list from top-down instances: sort by id, rescore, per-image OKS-NMS."""
    if instances and all("id" in inst for inst in instances):
        uniq: dict = {}
        for inst in sorted(instances, key=lambda x: x["id"]):
            uniq.setdefault(inst["id"], inst)
        instances = list(uniq.values())
    per_image: dict = defaultdict(list)
    for inst in rescore(instances, vis_thr):
        per_image[inst["image_id"]].append(inst)
    results = []
    for image_id, img_insts in per_image.items():
        keep = oks_nms(img_insts, oks_thr, sigmas) if use_nms else range(len(img_insts))
        for k in keep:
            inst = img_insts[k]
            results.append(
                {
                    "image_id": image_id,
                    "category_id": inst.get("category_id", category_id),
                    "keypoints": [float(v) for v in np.asarray(inst["keypoints"]).reshape(-1)],
                    "score": float(inst["score"]),
                }
            )
    return results
