"""PCK-family metrics: MPII PCKh (HRNet/mmpose 0.x protocol) and mmpose's PCK / AUC / EPE blocks.

Conventions pinned here (see ``related-systems-and-metrics.md`` §6, F1-F3 and caveat C4):

* ``pckh``: head size = 0.6 x head-box diagonal; a joint is correct if err <= thr*headsize
  (``<=`` as PoseBH / HRNet / mmpose 0.x, mmpose 1.x uses ``<``); per-joint values over visible
  joints; Mean excludes pelvis (6) and thorax (7) and is weighted by visible-joint counts;
  "PCKh@0.1" is evaluated at exactly 0.10 (HRNet and older mmpose read index 11 = 0.11); values in
  percent. Coordinates are compared as given (the +1 MATLAB shift of the .mat GT is not needed
  when GT and predictions are both 0-based).
* ``pck_accuracy`` and its wrappers: mmpose ``keypoint_pck_accuracy`` semantics: distance
  ``||(pred - gt) / norm||``, correct if ``< thr`` (strict), samples with a zero norm component
  dropped, norm < 0 treated as 1e6, macro average over keypoints that have a valid sample,
  per-keypoint accuracy -1 where none. Inputs are never mutated. Results are fractions.
"""

from __future__ import annotations

import numpy as np

MPII_PARTS: dict[str, tuple[int, ...]] = {
    "Head": (9,),
    "Shoulder": (12, 13),
    "Elbow": (11, 14),
    "Wrist": (10, 15),
    "Hip": (2, 3),
    "Knee": (1, 4),
    "Ankle": (0, 5),
}
MPII_MEAN_EXCLUDED: tuple[int, ...] = (6, 7)  # pelvis, thorax
MPII_SC_BIAS = 0.6


def _as_arrays(pred, gt, mask) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(pred, dtype=np.float64)
    g = np.asarray(gt, dtype=np.float64)
    m = np.asarray(mask, dtype=bool)
    if p.shape != g.shape or p.ndim != 3 or p.shape[-1] != 2 or m.shape != p.shape[:2]:
        raise ValueError(
            f"shape mismatch: pred {p.shape}, gt {g.shape}, mask {m.shape}; expected (N,K,2),(N,K,2),(N,K)"
        )
    return p, g, m


def pckh(
    pred,
    gt,
    visible,
    head_boxes,
    thr: float = 0.5,
    low_thr: float = 0.1,
    joint_names: tuple[str, ...] | None = None,
) -> dict:
    """MPII PCKh@thr (default 0.5) and PCKh@low_thr (default exactly 0.1), in percent.

    ``head_boxes`` are (N, 4) xywh; head size = 0.6 x sqrt(w^2 + h^2). Returns ``PCKh``,
    ``PCKh@0.1`` (key uses ``low_thr``), the parts Head..Ankle and ``per_joint`` {name: value}.
    """
    p, g, vis = _as_arrays(pred, gt, visible)
    boxes = np.asarray(head_boxes, dtype=np.float64).reshape(-1, 4)
    if boxes.shape[0] != p.shape[0]:
        raise ValueError(f"head_boxes has {boxes.shape[0]} rows for {p.shape[0]} samples")
    n_joints = p.shape[1]
    if n_joints != 16:
        raise ValueError(f"MPII PCKh needs 16 joints, got {n_joints}")
    headsize = MPII_SC_BIAS * np.linalg.norm(boxes[:, 2:4], axis=1)  # (N,)
    err = np.linalg.norm(p - g, axis=-1)  # (N,K)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = err / headsize[:, None]
    count = vis.sum(axis=0).astype(np.float64)  # (K,)
    mean_mask = np.ones(n_joints, dtype=bool)
    mean_mask[list(MPII_MEAN_EXCLUDED)] = False
    weights = np.where(mean_mask, count, 0.0)

    def at(t: float) -> tuple[np.ndarray, float]:
        hits = ((scaled <= t) & vis).sum(axis=0).astype(np.float64)
        per = np.divide(100.0 * hits, count, out=np.zeros(n_joints), where=count > 0)
        mean = float((per * weights).sum() / weights.sum()) if weights.sum() > 0 else 0.0
        return per, mean

    per, mean = at(thr)
    _, mean_low = at(low_thr)
    names = joint_names or tuple(f"joint_{j}" for j in range(n_joints))
    out: dict = {name: float(np.mean(per[list(idx)])) for name, idx in MPII_PARTS.items()}
    out["PCKh"] = mean
    out[f"PCKh@{low_thr:g}"] = mean_low
    out["per_joint"] = {names[j]: float(per[j]) for j in range(n_joints)}
    return out


def pck_accuracy(pred, gt, mask, thr: float, norm) -> tuple[np.ndarray, float, int]:
    """mmpose ``keypoint_pck_accuracy``: (per-keypoint acc with -1 for none, avg acc, count)."""
    p, g, m = _as_arrays(pred, gt, mask)
    nrm = np.array(norm, dtype=np.float64)
    if nrm.ndim == 1:
        nrm = np.tile(nrm[:, None], (1, 2))
    if nrm.shape != (p.shape[0], 2):
        raise ValueError(f"norm must be (N,) or (N,2) with N={p.shape[0]}, got {nrm.shape}")
    valid = m.copy()
    valid[(nrm == 0).any(axis=1), :] = False
    nrm[nrm <= 0] = 1e6
    dist = np.linalg.norm((p - g) / nrm[:, None, :], axis=-1)
    n_valid = valid.sum(axis=0)
    hits = ((dist < thr) & valid).sum(axis=0)
    acc = np.where(n_valid > 0, hits / np.maximum(n_valid, 1), -1.0)
    ok = acc[acc >= 0]
    return acc, float(ok.mean()) if ok.size else 0.0, int(ok.size)


def pck_normalized(pred, gt, mask, norm, thr: float) -> tuple[np.ndarray, float, int]:
    """PCK@thr with a per-sample normaliser (N,) or (N,2), e.g. the crop diagonal or head size."""
    return pck_accuracy(pred, gt, mask, thr, norm)


def pck_bbox(pred, gt, mask, bbox_sizes, thr: float = 0.2) -> tuple[np.ndarray, float, int]:
    """PCK@thr normalised by a per-sample box size (N,) (InterHand2.6M: max(w, h) of the xywh box)."""
    sizes = np.asarray(bbox_sizes, dtype=np.float64).reshape(-1)
    return pck_accuracy(pred, gt, mask, thr, np.tile(sizes[:, None], (1, 2)))


def auc(pred, gt, mask, norm: float = 30.0, n_thr: int = 20) -> float:
    """mmpose ``keypoint_auc``: mean PCK over thresholds i/n_thr (i < n_thr) of err/norm pixels."""
    n = np.asarray(pred).shape[0]
    nrm = np.full((n, 2), float(norm))
    total = 0.0
    for i in range(n_thr):  # accumulated as mmpose does, for bit-equal results
        total += 1.0 / n_thr * pck_accuracy(pred, gt, mask, 1.0 * i / n_thr, nrm)[1]
    return float(total)


def epe(pred, gt, mask) -> float:
    """Mean end-point error in pixels over masked keypoints (0 when none)."""
    p, g, m = _as_arrays(pred, gt, mask)
    d = np.linalg.norm(p - g, axis=-1)[m]
    return float(d.sum() / max(1, d.size))
