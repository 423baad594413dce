"""Cross-type self-supervision (PoseBH §3.3, Eq. 7): reliable heatmaps for unlabelled keypoints.

For an image of another dataset, head d's heatmap and the prototype heatmap of d's keypoints
are two predictions of the same joints. A joint is kept when both peaks exceed ``conf_thr`` and
the peaks lie within ``dist_thr`` heatmap pixels (Euclidean; the released code mixes x and y).
The kept joints are fused by the confidence-weighted average of the two *coordinates*
(the released code adds a confidence) and rendered as a sigma-2 Gaussian, weight = min conf.
"""

from __future__ import annotations

import torch


def peaks(heatmaps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Argmax peaks with the +-0.25 px shift toward the higher neighbour (mmpose 'default').

    heatmaps: (B, K, h, w) -> (integer peaks (B, K, 2) xy, refined xy (B, K, 2), max value (B, K)).
    """
    b, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(b, k, -1)
    maxval, idx = flat.max(dim=-1)
    x, y = idx % w, torch.div(idx, w, rounding_mode="floor")
    xy = torch.stack([x, y], dim=-1).to(heatmaps.dtype)

    def at(xx: torch.Tensor, yy: torch.Tensor) -> torch.Tensor:
        return flat.gather(-1, (yy.clamp(0, h - 1) * w + xx.clamp(0, w - 1))[..., None])[..., 0]

    inner_x = (x > 0) & (x < w - 1)
    inner_y = (y > 0) & (y < h - 1)
    dx = torch.sign(at(x + 1, y) - at(x - 1, y)) * inner_x
    dy = torch.sign(at(x, y + 1) - at(x, y - 1)) * inner_y
    refined = xy + 0.25 * torch.stack([dx, dy], dim=-1).to(heatmaps.dtype)
    return xy, refined, maxval


def render_gaussians(xy: torch.Tensor, size: tuple[int, int], sigma: float = 2.0) -> torch.Tensor:
    """Gaussians exp(-d^2 / 2 sigma^2) at sub-pixel xy (B, K, 2) on an (h, w) grid, truncated to
    the 6 sigma + 1 window around the rounded centre (as the GT targets). -> (B, K, h, w)."""
    h, w = size
    gx = torch.arange(w, dtype=xy.dtype, device=xy.device)
    gy = torch.arange(h, dtype=xy.dtype, device=xy.device)
    dx = gx[None, None, None, :] - xy[..., 0, None, None]  # (B, K, 1, w)
    dy = gy[None, None, :, None] - xy[..., 1, None, None]  # (B, K, h, 1)
    g = torch.exp(-(dx**2 + dy**2) / (2 * sigma**2))
    radius = 3 * sigma
    mu = torch.floor(xy + 0.5)
    window = ((gx[None, None, None, :] - mu[..., 0, None, None]).abs() <= radius) & (
        (gy[None, None, :, None] - mu[..., 1, None, None]).abs() <= radius)
    return g * window


@torch.no_grad()
def reliable_joints(head: torch.Tensor, proto: torch.Tensor, conf_thr: float = 0.25,
                    dist_thr: float = 2.1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The CSS filter and Eq. 7 on one dataset's keypoints of unlabelled images.

    head, proto: (B, K, h, w) head-d and prototype heatmaps. Returns (keep (B, K) bool,
    fused xy (B, K, 2) heatmap coordinates, weight (B, K) = min(c_kpt, c_emb) where kept, else 0).
    """
    head, proto = head.detach().float(), proto.detach().float()
    return fuse_peaks(peaks(head), peaks(proto), conf_thr, dist_thr)


@torch.no_grad()
def fuse_peaks(kpt: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
               emb: tuple[torch.Tensor, torch.Tensor, torch.Tensor], conf_thr: float = 0.25,
               dist_thr: float = 2.1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The CSS filter and Eq. 7 on ``peaks`` of the head (``kpt``) and prototype (``emb``)
    heatmaps, any leading shape (...): -> (keep (...) bool, fused xy (..., 2), weight (...))."""
    (xy_k, ref_k, c_k), (xy_e, ref_e, c_e) = kpt, emb
    keep = (c_k > conf_thr) & (c_e > conf_thr)
    keep &= torch.linalg.vector_norm(xy_k - xy_e, dim=-1) < dist_thr
    s = (c_k / (c_k + c_e).clamp_min(1e-12))[..., None]
    fused = s * ref_k + (1 - s) * ref_e  # Eq. 7
    return keep, fused, torch.minimum(c_k, c_e) * keep


@torch.no_grad()
def reliable_targets(head: torch.Tensor, proto: torch.Tensor, unlabelled: torch.Tensor,
                     conf_thr: float = 0.25, dist_thr: float = 2.1, sigma: float = 2.0
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Dense reliable heatmaps k^CSS (B, K, h, w) and weights (B, K); 0 for dropped joints and
    for labelled rows (``unlabelled``: (B,) bool)."""
    keep, fused, weight = reliable_joints(head, proto, conf_thr, dist_thr)
    keep &= unlabelled[:, None]
    target = render_gaussians(fused, head.shape[-2:], sigma) * keep[..., None, None]
    return target, weight * keep
