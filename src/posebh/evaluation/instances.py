"""Per-instance scores of a dataset's headline metric, re-computable under any instance weights.

A bootstrap over validation images needs the metric on thousands of resampled sets; re-running
COCOeval for each costs seconds. Top-down evaluation with GT boxes gives one detection per GT
instance (results carry ``ann_id``), so each instance reduces to a few numbers:

- OKS AP (COCO, AIC, AP-10K, APT-36K, COCO-WholeBody whole-body): the detection's OKS with its own
  GT (xtcocotools' formula: area or 0.53·w·h, the box rule for a GT without labelled keypoints),
  its score, whether the GT is ignored (no labelled keypoint) and its category. AP is then
  xtcocotools' 101-point interpolated precision averaged over OKS thresholds .50:.05:.95 and over
  categories, with each instance counted ``weight`` times. Equal to xtcocotools' AP with unit
  weights when each image holds one instance (tests: the suite's own validation predictions);
  with several instances per image it is the AP of the own-GT pairing (COCOeval may cross-match).
- MPII PCKh@0.5: hits and labelled joints per instance (pelvis and thorax left out of the mean, as
  ``evaluation.pck.pckh``); PCKh = 100 · Σ w·hits / Σ w·labelled.

Hand-written because no evaluator takes instance weights (pycocotools/xtcocotools/hotcoco all
re-match from scratch per call).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posebh import skeletons
from posebh.evaluation.pck import MPII_MEAN_EXCLUDED, MPII_SC_BIAS

OKS_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_THRESHOLDS = np.linspace(0.0, 1.0, 101)
WHOLEBODY_FIELDS = ("keypoints", "foot_kpts", "face_kpts", "lefthand_kpts", "righthand_kpts")


@dataclass(frozen=True)
class InstanceScores:
    """One dataset's GT instances in evaluation order; ``kind`` "oks_ap" or "ratio".

    oks_ap: ``oks``, ``score`` (NaN oks = no detection), ``ignored``, ``category``.
    ratio: ``hits`` and ``labelled`` (metric = 100 · Σ hits / Σ labelled).
    ``image`` groups instances of one image, or of one video (the bootstrap resamples these).
    """

    kind: str
    image: np.ndarray  # (N,) int, 0..n_images-1
    oks: np.ndarray | None = None  # (N,)
    score: np.ndarray | None = None  # (N,)
    ignored: np.ndarray | None = None  # (N,) bool
    category: np.ndarray | None = None  # (N,) int
    hits: np.ndarray | None = None  # (N,)
    labelled: np.ndarray | None = None  # (N,)

    def to_dict(self) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, d: dict) -> InstanceScores:
        dtypes = {"image": np.int64, "category": np.int64, "ignored": bool}
        return cls(d["kind"], **{k: np.asarray(v, dtype=dtypes.get(k, np.float64))
                                 for k, v in d.items() if k != "kind"})

    @property
    def n_images(self) -> int:
        return int(self.image.max()) + 1 if self.image.size else 0


def gt_keypoints(ann: dict, dataset: str) -> np.ndarray:
    """(K, 3) x, y, visibility of one GT annotation (COCO-WholeBody: its five part fields joined)."""
    if dataset == "coco_wholebody":
        flat = [v for f in WHOLEBODY_FIELDS for v in ann.get(f, [])]
    else:
        flat = ann["keypoints"]
    return np.asarray(flat, dtype=np.float64).reshape(-1, 3)


def oks_one(det: np.ndarray, ann: dict, g: np.ndarray, sigmas: np.ndarray, use_area: bool) -> float:
    """xtcocotools ``computeOks`` for one detection (K, 2+) and one GT (``g``: (K, 3))."""
    var = (2 * sigmas) ** 2
    vis = g[:, 2] > 0
    if vis.any():
        dx, dy = det[:, 0] - g[:, 0], det[:, 1] - g[:, 1]
    else:  # distance to the GT box grown by its size on every side
        x, y, w, h = ann["bbox"]
        dx = np.maximum(0, x - w - det[:, 0]) + np.maximum(0, det[:, 0] - (x + 2 * w))
        dy = np.maximum(0, y - h - det[:, 1]) + np.maximum(0, det[:, 1] - (y + 2 * h))
    area = ann["area"] if use_area else ann["bbox"][3] * ann["bbox"][2] * 0.53
    e = (dx**2 + dy**2) / var / (area + np.spacing(1)) / 2
    if vis.any():
        e = e[vis]
    return float(np.sum(np.exp(-e)) / e.shape[0])


def unit_keys(gt: dict) -> tuple[list[dict], list]:
    """Non-crowd GT annotations ordered by (image id, annotation id), and the resampling unit of
    each as a key: its video id when every image names one (frames of a clip are not
    independent), else its image id."""
    anns = sorted((a for a in gt["annotations"] if not a.get("iscrowd", 0)),
                  key=lambda a: (a["image_id"], a["id"]))
    images = gt.get("images", [])
    video = {im["id"]: im["video_id"] for im in images} if images and all(
        "video_id" in im for im in images) else {}
    return anns, [video.get(a["image_id"], a["image_id"]) if video else a["image_id"] for a in anns]


def _order(gt: dict) -> tuple[list[dict], np.ndarray]:
    """``unit_keys`` with each unit as its index among the sorted keys (0..n_units-1)."""
    anns, unit = unit_keys(gt)
    index = {u: n for n, u in enumerate(sorted(set(unit)))}
    return anns, np.array([index[u] for u in unit], dtype=np.int64)


def _by_ann(results: list[dict]) -> dict:
    out: dict = {}
    for r in results:
        if "ann_id" not in r:
            raise ValueError("instance scores need results paired with GT (`ann_id`: top-down "
                             "with GT boxes)")
        if r["ann_id"] in out:
            raise ValueError(f"two results for GT annotation {r['ann_id']}")
        out[r["ann_id"]] = r
    return out


def oks_instances(gt: dict, results: list[dict], dataset: str) -> InstanceScores:
    """Per-instance OKS, score, ignore flag and category (the dataset's sigmas and area rule)."""
    sk = skeletons.get(dataset)
    sigmas = np.asarray(sk.sigmas, dtype=np.float64)
    anns, image = _order(gt)
    dets = _by_ann(results)
    n = len(anns)
    oks, score = np.full(n, np.nan), np.full(n, np.nan)
    ignored = np.zeros(n, dtype=bool)
    for i, a in enumerate(anns):
        g = gt_keypoints(a, dataset)
        ignored[i] = not (g[:, 2] > 0).any()
        r = dets.get(a["id"])
        if r is None:
            continue
        d = np.asarray(r["keypoints"], dtype=np.float64).reshape(-1, 3)
        if not (d[:, 2] > 0).any():  # xtcocotools drops all-zero-score detections
            continue
        oks[i] = oks_one(d, a, g, sigmas, sk.use_area)
        score[i] = float(r.get("wholebody_score", r["score"]) if dataset == "coco_wholebody"
                         else r["score"])
    category = np.array([a["category_id"] for a in anns], dtype=np.int64)
    return InstanceScores("oks_ap", image, oks=oks, score=score, ignored=ignored, category=category)


def pckh_instances(gt: dict, results: list[dict], dataset: str = "mpii", thr: float = 0.5
                   ) -> InstanceScores:
    """Per-instance PCKh@thr hits and labelled joints over the joints of the MPII mean."""
    anns, image = _order(gt)
    dets = _by_ann(results)
    k = skeletons.get(dataset).num_keypoints
    keep = np.ones(k, dtype=bool)
    keep[list(MPII_MEAN_EXCLUDED)] = False
    hits, labelled = np.zeros(len(anns)), np.zeros(len(anns))
    for i, a in enumerate(anns):
        g = gt_keypoints(a, dataset)
        vis = (g[:, 2] > 0) & keep
        labelled[i] = vis.sum()
        r = dets.get(a["id"])
        if r is None:
            continue
        d = np.asarray(r["keypoints"], dtype=np.float64).reshape(-1, 3)
        head = MPII_SC_BIAS * np.linalg.norm(np.asarray(a["head_bbox"], dtype=np.float64)[2:4])
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = np.linalg.norm(d[:, :2] - g[:, :2], axis=1) / head <= thr
        hits[i] = (ok & vis).sum()
    return InstanceScores("ratio", image, hits=hits, labelled=labelled)


INSTANCE_SCORERS = {"oks": oks_instances, "pckh": pckh_instances}


def instance_scores(gt: dict, results: list[dict], dataset: str) -> InstanceScores:
    """The dataset's headline metric as instance scores (by its skeleton's protocol)."""
    metric = skeletons.get(dataset).metric
    if dataset == "coco_wholebody":
        metric = "oks"
    if metric not in INSTANCE_SCORERS:
        raise ValueError(f"{dataset}: no instance scores for protocol {metric!r}")
    return INSTANCE_SCORERS[metric](gt, results, dataset)


def _ap_one_category(oks: np.ndarray, score: np.ndarray, ignored: np.ndarray,
                     w: np.ndarray) -> np.ndarray:
    """AP (R,) of one category: instances (N,) with weights w (R, N); NaN where no positive GT."""
    npig = w @ (~ignored).astype(np.float64)  # (R,)
    det = ~np.isnan(oks)
    order = np.argsort(-score[det], kind="mergesort")  # stable: ties keep (image, id) order
    o, ig, wd = oks[det][order], ignored[det][order], w[:, det][:, order]
    ap = np.zeros(w.shape[0])
    for t in OKS_THRESHOLDS if o.size else ():  # no detection: AP 0
        tp = (o >= t) & ~ig
        fp = o < t
        tp_sum = np.cumsum(wd * tp, axis=1)
        fp_sum = np.cumsum(wd * fp, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            rc = tp_sum / npig[:, None]
        pr = tp_sum / (tp_sum + fp_sum + np.spacing(1))
        env = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]  # precision envelope
        for r in range(w.shape[0]):
            idx = np.searchsorted(rc[r], RECALL_THRESHOLDS, side="left")
            q = np.where(idx < env.shape[1], env[r, np.minimum(idx, env.shape[1] - 1)], 0.0)
            ap[r] += q.mean() / len(OKS_THRESHOLDS)
    ap[npig == 0] = np.nan
    return ap


def weighted_metric(inst: InstanceScores, weights: np.ndarray) -> np.ndarray:
    """The metric (AP x 100 or PCKh %) under instance weights (R, N) -> (R,)."""
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if inst.kind == "ratio":
        return 100.0 * (w @ inst.hits) / np.maximum(w @ inst.labelled, 1e-12)
    per_cat = [_ap_one_category(inst.oks[m], inst.score[m], inst.ignored[m], w[:, m])
               for c in np.unique(inst.category) for m in [inst.category == c]]
    stacked = np.stack(per_cat)  # (C, R)
    valid = ~np.isnan(stacked)
    return 100.0 * np.where(valid, stacked, 0).sum(0) / np.maximum(valid.sum(0), 1)


def metric(inst: InstanceScores) -> float:
    """The metric with every instance counted once."""
    return float(weighted_metric(inst, np.ones((1, len(inst.image))))[0])
