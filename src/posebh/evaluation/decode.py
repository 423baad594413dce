"""Heatmap decoding and flip-test helpers, after mmpose 0.x ``keypoints_from_heatmaps``,
``post_dark_udp`` and ``flip_back`` (re-written from their description, vectorised, no OpenCV).

Which decoder (``decode(heatmaps, udp, dark)``):

=======  ==========  ======================================================================
``udp``  ``dark``    decoder
=======  ==========  ======================================================================
True     None/True   **DARK-UDP** (mmpose ``use_udp=True``; COCO, MPII in ViTPose++)
False    None/False  **default**: argmax + 0.25 px toward the higher neighbour
                     (mmpose ``post_process='default'``; AIC, AP-10K, APT-36K, WholeBody)
False    True        DARK (mmpose ``post_process='unbiased'``)
True     False       argmax + 0.25 shift on the UDP grid (not an mmpose path)
=======  ==========  ======================================================================

``dark=None`` (the default) therefore means "the ViTPose++ evaluation protocol".

Details kept from mmpose:

* argmax on the raw heatmap; ``maxvals`` are raw maxima; joints with ``maxval <= 0`` get
  coordinates ``-1`` and are not refined.
* default shift only when ``1 < x < W-1`` and ``1 < y < H-1``.
* DARK: blur (Gaussian kernel 11, sigma 2, zero border) rescaled to the original maximum,
  ``log(max(., 1e-10))``, one Newton step with step-2 second differences, only when
  ``1 < x < W-2`` and ``1 < y < H-2`` and the Hessian is non-singular.
* DARK-UDP: blur (kernel 11, sigma 2, reflect-101 border), clip to ``[0.001, 50]``, log,
  edge-padded central differences, ``coords -= (Hess + eps I)^-1 grad`` (float32 eps).
  Near the heatmap border (within ~8 px) the reflected blur biases the estimate, as in mmpose.

The kernel-11 OpenCV Gaussian has sigma ``0.3 * ((11 - 1) / 2 - 1) + 0.8 = 2``; scipy's
``gaussian_filter(sigma=2, truncate=2.5)`` has the same 11 taps.

Coordinates: decoded heatmap coordinates use the pixel-centre-at-integer convention;
``to_image_coords`` inverts ``posebh.data.topdown.get_affine_matrix`` on the heatmap grid
(scale = crop size in image pixels).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from posebh.data.topdown import get_affine_matrix, invert_affine

__all__ = ["decode", "to_image_coords", "flip_back", "get_max_preds", "blur_heatmaps"]


def _to_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):  # torch tensor
        x = x.detach().cpu().float().numpy()
    return np.asarray(x)


def _sigma_for_kernel(kernel: int) -> float:
    return 0.3 * ((kernel - 1) * 0.5 - 1) + 0.8


def blur_heatmaps(heatmaps: np.ndarray, kernel: int = 11, mode: str = "mirror") -> np.ndarray:
    """Gaussian blur of the last two axes as ``cv2.GaussianBlur(h, (kernel, kernel), 0)``.

    ``mode='mirror'`` = OpenCV's default BORDER_REFLECT_101; ``'constant'`` = zero border.
    """
    sigma = _sigma_for_kernel(kernel)
    radius = (kernel - 1) // 2
    sig = (0.0,) * (heatmaps.ndim - 2) + (sigma, sigma)
    return gaussian_filter(heatmaps, sigma=sig, truncate=radius / sigma, mode=mode, cval=0.0)


def get_max_preds(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer argmax.

    heatmaps (N,K,h,w) -> coords (N,K,2) float64 (x, y; -1 where maxval <= 0), maxvals (N,K).
    """
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, k, -1)
    idx = np.argmax(flat, axis=2)
    maxvals = np.take_along_axis(flat, idx[..., None], axis=2)[..., 0]
    coords = np.stack([idx % w, idx // w], axis=-1).astype(np.float64)
    coords[maxvals <= 0] = -1.0
    return coords, maxvals


def _default_shift(heatmaps: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """+-0.25 px toward the higher neighbour. heatmaps (N,K,h,w), coords (N,K,2) integer-valued."""
    n, k, h, w = heatmaps.shape
    px = coords[..., 0].astype(np.int64)
    py = coords[..., 1].astype(np.int64)
    ok = (px > 1) & (px < w - 1) & (py > 1) & (py < h - 1)
    pxc = np.clip(px, 1, w - 2)
    pyc = np.clip(py, 1, h - 2)
    ni, ki = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
    dx = heatmaps[ni, ki, pyc, pxc + 1] - heatmaps[ni, ki, pyc, pxc - 1]
    dy = heatmaps[ni, ki, pyc + 1, pxc] - heatmaps[ni, ki, pyc - 1, pxc]
    out = coords.copy()
    out[..., 0] += np.where(ok, np.sign(dx) * 0.25, 0.0)
    out[..., 1] += np.where(ok, np.sign(dy) * 0.25, 0.0)
    return out


def _dark(heatmaps: np.ndarray, coords: np.ndarray, kernel: int) -> np.ndarray:
    """DARK (mmpose 'unbiased'): Taylor step on the log of the zero-border blurred heatmap."""
    n, k, h, w = heatmaps.shape
    raw_max = heatmaps.reshape(n, k, -1).max(axis=2).astype(np.float64)
    hm = blur_heatmaps(heatmaps, kernel, mode="constant")
    blur_max = hm.reshape(n, k, -1).max(axis=2)
    ratio = np.divide(raw_max, blur_max, out=np.zeros_like(raw_max), where=blur_max != 0)
    hm *= ratio[..., None, None]
    hm = np.log(np.maximum(hm, 1e-10))

    px = coords[..., 0].astype(np.int64)
    py = coords[..., 1].astype(np.int64)
    ok = (px > 1) & (px < w - 2) & (py > 1) & (py < h - 2)
    x = np.clip(px, 2, w - 3)
    y = np.clip(py, 2, h - 3)
    ni, ki = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")

    def at(dy: int, dx: int) -> np.ndarray:
        return hm[ni, ki, y + dy, x + dx].astype(np.float64)

    c = at(0, 0)
    dx = 0.5 * (at(0, 1) - at(0, -1))
    dy = 0.5 * (at(1, 0) - at(-1, 0))
    dxx = 0.25 * (at(0, 2) - 2 * c + at(0, -2))
    dxy = 0.25 * (at(1, 1) - at(-1, 1) - at(1, -1) + at(-1, -1))
    dyy = 0.25 * (at(2, 0) - 2 * c + at(-2, 0))
    det = dxx * dyy - dxy * dxy
    ok &= det != 0
    safe = np.where(ok, det, 1.0)
    # offset = -H^-1 g with H^-1 = [[dyy, -dxy], [-dxy, dxx]] / det
    ox = -(dyy * dx - dxy * dy) / safe
    oy = -(-dxy * dx + dxx * dy) / safe
    out = coords.copy()
    out[..., 0] += np.where(ok, ox, 0.0)
    out[..., 1] += np.where(ok, oy, 0.0)
    return out


def _dark_udp(heatmaps: np.ndarray, coords: np.ndarray, kernel: int) -> np.ndarray:
    """DARK-UDP (mmpose ``post_dark_udp``): Newton step on log of the reflect-blurred heatmap."""
    n, k, h, w = heatmaps.shape
    hm = blur_heatmaps(heatmaps, kernel, mode="mirror")
    np.clip(hm, 0.001, 50.0, out=hm)
    np.log(hm, out=hm)
    hm = np.pad(hm, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    valid = coords[..., 0] >= 0
    # +1 for the padding; argmax coords are always inside the unpadded map
    x = np.clip(coords[..., 0].astype(np.int64), 0, w - 1) + 1
    y = np.clip(coords[..., 1].astype(np.int64), 0, h - 1) + 1
    ni, ki = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")

    def at(dy: int, dx: int) -> np.ndarray:
        return hm[ni, ki, y + dy, x + dx].astype(np.float64)

    c = at(0, 0)
    x1, x1_ = at(0, 1), at(0, -1)
    y1, y1_ = at(1, 0), at(-1, 0)
    dx = 0.5 * (x1 - x1_)
    dy = 0.5 * (y1 - y1_)
    dxx = x1 - 2 * c + x1_
    dyy = y1 - 2 * c + y1_
    dxy = 0.5 * (at(1, 1) - x1 - y1 + 2 * c - x1_ - y1_ + at(-1, -1))
    eps = float(np.finfo(np.float32).eps)
    a, b, d = dxx + eps, dxy, dyy + eps
    det = a * d - b * b
    good = valid & (det != 0)
    safe = np.where(good, det, 1.0)
    ox = (d * dx - b * dy) / safe
    oy = (-b * dx + a * dy) / safe
    out = coords.copy()
    out[..., 0] -= np.where(good, ox, 0.0)
    out[..., 1] -= np.where(good, oy, 0.0)
    return out


def decode(
    heatmaps, udp: bool, dark: bool | None = None, kernel: int = 11
) -> tuple[np.ndarray, np.ndarray]:
    """Decode heatmaps (N,K,h,w) (numpy or torch) into heatmap coordinates.

    Returns coords (N,K,2) float32 (x, y) and maxvals (N,K) float32.  See the module docstring
    for which decoder ``(udp, dark)`` selects; the input is not modified.
    """
    hm = _to_numpy(heatmaps)
    if hm.ndim != 4:
        raise ValueError(f"heatmaps must be (N,K,h,w), got shape {hm.shape}")
    hm = hm.astype(np.float32, copy=False)
    coords, maxvals = get_max_preds(hm)
    use_dark = udp if dark is None else bool(dark)
    if use_dark:
        coords = _dark_udp(hm, coords, kernel) if udp else _dark(hm, coords, kernel)
    else:
        coords = _default_shift(hm, coords)
    return coords.astype(np.float32), maxvals.astype(np.float32)


def to_image_coords(
    coords,
    center,
    scale,
    heatmap_size: tuple[int, int],
    udp: bool,
    rotation=None,
) -> np.ndarray:
    """Heatmap coords (N,K,2) -> image coords (N,K,2) float32.

    center (N,2), scale (N,2) = crop (w, h) in image pixels, heatmap_size = (W, H),
    rotation (N,) degrees (default 0).  Without rotation this is mmpose ``transform_preds``
    (its ``scale * 200`` = our scale): ``x * s_w / W + c_x - s_w / 2`` (plain) or
    ``x * s_w / (W - 1) + c_x - s_w / 2`` (UDP).
    """
    c = _to_numpy(coords).astype(np.float64)
    ctr = _to_numpy(center).astype(np.float64).reshape(-1, 2)
    scl = _to_numpy(scale).astype(np.float64).reshape(-1, 2)
    n = c.shape[0]
    if rotation is None:
        rot = np.zeros(n)
    else:
        rot = np.broadcast_to(_to_numpy(rotation).astype(np.float64).reshape(-1), (n,))
    out = np.empty_like(c)
    for i in range(n):
        inv = invert_affine(get_affine_matrix(ctr[i], scl[i], float(rot[i]), heatmap_size, udp))
        out[i] = c[i] @ inv[:, :2].T + inv[:, 2]
    return out.astype(np.float32)


def flip_back(heatmaps, flip_index, shift: bool = False):
    """Undo a horizontal flip of heatmaps predicted on a flipped input (flip test).

    heatmaps (N,K,h,w) -> (N,K,h,w): channels permuted by ``flip_index`` (K,) and mirrored
    along x.  ``shift=True`` (mmpose ``shift_heatmap``, plain/non-UDP heads) then moves the map
    one pixel right (column 0 kept), compensating the ``W - x`` vs ``W - 1 - x`` mismatch of the
    plain grid; UDP heads use ``shift=False``.  Returns a torch tensor (same device) for torch
    input, else numpy.
    """
    idx = np.asarray(flip_index, dtype=np.int64)
    if hasattr(heatmaps, "detach"):
        import torch

        out = heatmaps[:, torch.as_tensor(idx, device=heatmaps.device)].flip(-1)
        if shift:
            out = out.clone()
            out[..., 1:] = out[..., :-1].clone()
        return out
    out = np.ascontiguousarray(np.asarray(heatmaps)[:, idx, :, ::-1])
    if shift:
        out[..., 1:] = out[..., :-1].copy()
    return out
