"""Gaussian heatmap targets, MSRA and UDP, after mmpose 0.x ``TopDownGenerateTarget`` (written,
not copied).

Both encodings render ``exp(-d^2 / (2 sigma^2))`` inside a square window of ``2 * 3 sigma + 1``
heatmap pixels around ``mu = int(x_hm + 0.5)`` (mmpose's truncating ``int``), zero elsewhere:

* MSRA (``udp=False``): ``x_hm = x_in * heatmap / input``; Gaussian centred on the integer
  ``mu``.
* UDP (``udp=True``): ``x_hm = x_in * (heatmap - 1) / (input - 1)``; Gaussian centred on the
  exact sub-pixel ``x_hm`` (window still around ``mu``).

Target weight = ``visible > 0``, zeroed when the window lies entirely outside the heatmap
(mmpose rule), and with ``drop_outside=True`` also when ``mu`` is off the heatmap (the keypoint
left the crop).  Optionally multiplied by per-joint weights (``use_different_joint_weights``).
"""

from __future__ import annotations

import numpy as np


def heatmap_coords(keypoints: np.ndarray, input_size, heatmap_size, udp: bool) -> np.ndarray:
    """Input-image coordinates ``(..., 2)`` -> heatmap coordinates ``(..., 2)``."""
    inp = np.asarray(input_size, dtype=np.float64)
    hm = np.asarray(heatmap_size, dtype=np.float64)
    stride = (inp - 1.0) / (hm - 1.0) if udp else inp / hm
    return np.asarray(keypoints, dtype=np.float64)[..., :2] / stride


def generate_target(
    keypoints: np.ndarray,
    visible: np.ndarray,
    input_size: tuple[int, int],
    heatmap_size: tuple[int, int],
    sigma: float = 2.0,
    udp: bool = False,
    joint_weights: np.ndarray | None = None,
    drop_outside: bool = False,
    max_keypoints: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Heatmaps for one instance.

    keypoints (K, 2+) in network-input pixels; visible (K,) (COCO v, > 0 means labelled);
    input_size / heatmap_size are (W, H).
    Returns ``target (Kmax, h, w) float32`` and ``target_weight (Kmax,) float32`` with
    ``Kmax = max_keypoints or K``; channels beyond K are zero with weight 0.
    """
    kps = np.asarray(keypoints, dtype=np.float64)
    k = kps.shape[0]
    kmax = k if max_keypoints is None else int(max_keypoints)
    if kmax < k:
        raise ValueError(f"max_keypoints={kmax} < number of keypoints {k}")
    w, h = int(heatmap_size[0]), int(heatmap_size[1])

    mu_ac = heatmap_coords(kps, input_size, heatmap_size, udp)  # (K, 2) sub-pixel heatmap coords
    mu = np.trunc(mu_ac + 0.5)  # mmpose int(x + 0.5)
    tmp = 3.0 * sigma
    ul = np.trunc(mu - tmp)
    br = np.trunc(mu + tmp + 1.0)

    weight = (np.asarray(visible, dtype=np.float64).reshape(-1) > 0).astype(np.float64)
    finite = np.isfinite(mu_ac).all(axis=1)
    outside = (ul[:, 0] >= w) | (ul[:, 1] >= h) | (br[:, 0] < 0) | (br[:, 1] < 0) | ~finite
    if drop_outside:
        outside |= (mu[:, 0] < 0) | (mu[:, 0] > w - 1) | (mu[:, 1] < 0) | (mu[:, 1] > h - 1)
    weight[outside] = 0.0
    active = weight > 0.5

    centre = mu_ac if udp else mu
    centre = np.where(np.isfinite(centre), centre, 0.0)
    xs = np.arange(w, dtype=np.float64)
    ys = np.arange(h, dtype=np.float64)
    inv = 1.0 / (2.0 * sigma * sigma)
    gx = np.exp(-((xs[None, :] - centre[:, 0:1]) ** 2) * inv)
    gx *= (xs[None, :] >= ul[:, 0:1]) & (xs[None, :] < br[:, 0:1])
    gy = np.exp(-((ys[None, :] - centre[:, 1:2]) ** 2) * inv)
    gy *= (ys[None, :] >= ul[:, 1:2]) & (ys[None, :] < br[:, 1:2])
    gy *= active[:, None]

    target = np.zeros((kmax, h, w), dtype=np.float32)
    gx32, gy32 = gx.astype(np.float32), gy.astype(np.float32)
    np.multiply(gy32[:, :, None], gx32[:, None, :], out=target[:k])

    if joint_weights is not None:
        weight = weight * np.asarray(joint_weights, dtype=np.float64).reshape(-1)[:k]
    target_weight = np.zeros(kmax, dtype=np.float32)
    target_weight[:k] = weight
    return target, target_weight
