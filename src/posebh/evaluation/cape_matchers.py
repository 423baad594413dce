"""CAPE matchers on frozen feature maps: support prototypes (ProtoNet / PoseBH-style) and a new
1x1 head fine-tuned on the supports (POMNet's "Fine-tune" baseline, on frozen features).

Both take one category's ``CapeFeatures`` (N, C, H, W), its instances' keypoints (N, J, 3) in
image px and the episodes of ``cape_episodes.sample_episodes``, and return the (E, Q, J, 2)
predictions in image px that ``cape_pck.evaluate_cape`` accepts. Nothing of a query but its
feature map (and its crop geometry) is read.

* Prototype: per-pixel L2-normalised maps are bilinearly sampled at each support keypoint
  (heat-map px, pixel centres at integers); the prototype of keypoint j is the mean over the
  supports where j is visible, L2-normalised; the query's heat-map is the cosine of the prototype
  with every query pixel, (J, H, W).
* Fine-tune: a new 1x1 conv (C -> J, weights ~ N(0, 0.001^2) from ``seed``, bias 0) on the same
  normalised maps, trained on the K supports against Gaussian targets (sigma in heat-map px,
  centred at the exact support keypoint), MSE weighted by visibility, full-batch Adam for a fixed
  number of steps; episodes train side by side (disjoint parameters, summed losses: each
  episode's updates are those of training it alone), then the head runs on the queries.
* Decoding (``refine_peaks``): argmax, then a parabola through the peak and its two neighbours
  on each axis, the shift clipped to half a pixel (none on the border).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from posebh.evaluation.cape_episodes import Episode
from posebh.evaluation.cape_features import CapeFeatures

CHUNK_FLOATS = 1 << 25  # episodes per chunk: gathered query maps of at most this many floats


def episode_arrays(episodes: Sequence[Episode]) -> tuple[np.ndarray, np.ndarray]:
    """(E, S) support and (E, Q) query instance indices."""
    return (np.array([e.supports for e in episodes], dtype=np.int64),
            np.array([e.queries for e in episodes], dtype=np.int64))


def sample_at(maps: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Bilinear samples of ``maps`` (N, C, H, W) at ``points`` (N, J, 2) heat-map px (x, y; pixel
    centres at integers; clamped to the border) -> (N, J, C)."""
    h, w = maps.shape[-2:]
    scale = torch.tensor([2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)], dtype=maps.dtype,
                         device=maps.device)
    grid = (points.to(maps.dtype) * scale - 1.0)[:, :, None, :]  # (N, J, 1, 2)
    out = F.grid_sample(maps, grid, mode="bilinear", padding_mode="border", align_corners=True)
    return out[..., 0].transpose(1, 2)  # (N, J, C)


def support_prototypes(sampled: torch.Tensor, visible: torch.Tensor,
                       supports: torch.Tensor) -> torch.Tensor:
    """(N, J, C) sampled features, (N, J) visibility, (E, S) supports -> (E, J, C) prototypes:
    mean over the supports where each keypoint is visible, L2-normalised (0 where none is)."""
    vis = visible[supports].to(sampled.dtype)  # (E, S, J)
    total = torch.einsum("esj,esjc->ejc", vis, sampled[supports])
    return F.normalize(total / vis.sum(1).clamp(min=1.0)[..., None], dim=-1)


def refine_peaks(heat: torch.Tensor) -> torch.Tensor:
    """(..., H, W) -> (..., 2) x, y of the argmax plus a parabola shift in [-0.5, 0.5] per axis
    (0 on the border or where the parabola is flat)."""
    h, w = heat.shape[-2:]
    flat = heat.reshape(-1, h * w)
    idx = flat.argmax(dim=1)  # (M,)
    y, x = idx // w, idx % w
    rows = torch.arange(flat.shape[0], device=heat.device)

    def shift(c: torch.Tensor, size: int, step: int) -> torch.Tensor:
        inner = (c > 0) & (c < size - 1)
        lo = flat[rows, (idx - step).clamp(0, h * w - 1)]
        hi = flat[rows, (idx + step).clamp(0, h * w - 1)]
        mid = flat[rows, idx]
        curv = 2.0 * mid - lo - hi  # >= 0 at a maximum
        d = torch.where(curv > 0, (hi - lo) / (2.0 * curv.clamp(min=1e-12)), torch.zeros_like(mid))
        return torch.where(inner, d.clamp(-0.5, 0.5), torch.zeros_like(mid))

    xy = torch.stack([x.to(heat.dtype) + shift(x, w, 1), y.to(heat.dtype) + shift(y, h, w)], -1)
    return xy.reshape(*heat.shape[:-2], 2)


def _chunk(per_episode: int) -> int:
    return max(1, CHUNK_FLOATS // max(per_episode, 1))


def _to_image(features: CapeFeatures, peaks: torch.Tensor, queries: np.ndarray) -> np.ndarray:
    """(E, Q, J, 2) heat-map px of the query instances -> image px."""
    return features.to_image(peaks.double().cpu().numpy(), queries)


def prototype_predictions(features: CapeFeatures, keypoints: np.ndarray,
                          episodes: Sequence[Episode]) -> np.ndarray:
    """(E, Q, J, 2) image px: each query's cosine heat-map with its episode's prototypes, decoded."""
    maps = F.normalize(features.maps, dim=1)  # (N, C, H, W)
    dev = maps.device
    points = torch.as_tensor(features.keypoints_on_map(keypoints), device=dev)  # (N, J, 2)
    visible = torch.as_tensor(np.asarray(keypoints)[..., 2] > 0, device=dev)  # (N, J)
    sup, qry = episode_arrays(episodes)
    protos = support_prototypes(sample_at(maps, points), visible,
                                torch.as_tensor(sup, device=dev))  # (E, J, C)
    step = _chunk(qry.shape[1] * maps[0].numel())
    peaks = []
    for a in range(0, len(qry), step):
        q = maps[torch.as_tensor(qry[a:a + step], device=dev)]  # (e, Q, C, H, W)
        heat = torch.einsum("ejc,eqchw->eqjhw", protos[a:a + step], q)
        peaks.append(refine_peaks(heat))  # (e, Q, J, 2)
    return _to_image(features, torch.cat(peaks), qry)


def gaussian_targets(points: torch.Tensor, size: tuple[int, int], sigma: float) -> torch.Tensor:
    """(..., J, 2) heat-map px -> (..., J, H, W) Gaussians of peak 1 centred exactly there.
    ``size`` = (W, H)."""
    w, h = size
    xs = torch.arange(w, dtype=points.dtype, device=points.device)
    ys = torch.arange(h, dtype=points.dtype, device=points.device)
    dx = (xs - points[..., 0:1]) ** 2  # (..., J, W)
    dy = (ys - points[..., 1:2]) ** 2  # (..., J, H)
    return torch.exp(-(dy[..., :, None] + dx[..., None, :]) / (2.0 * sigma ** 2))


def finetune_predictions(features: CapeFeatures, keypoints: np.ndarray,
                         episodes: Sequence[Episode], steps: int = 100, lr: float = 0.001,
                         sigma: float = 2.0, seed: int = 0) -> np.ndarray:
    """(E, Q, J, 2) image px: a 1x1 head per episode trained on its supports (module docstring)."""
    maps = F.normalize(features.maps, dim=1)  # (N, C, H, W)
    dev, (_, c, h, w) = maps.device, maps.shape
    points = torch.as_tensor(features.keypoints_on_map(keypoints), dtype=maps.dtype, device=dev)
    visible = torch.as_tensor(np.asarray(keypoints)[..., 2] > 0, dtype=maps.dtype, device=dev)
    targets = gaussian_targets(points, (w, h), sigma)  # (N, J, H, W)
    sup, qry = episode_arrays(episodes)
    j = points.shape[1]
    gen = torch.Generator().manual_seed(int(seed))
    init = (0.001 * torch.randn(len(sup), j, c, generator=gen)).to(dev)  # (E, J, C)
    step = _chunk((sup.shape[1] + qry.shape[1]) * (c + j) * h * w)
    peaks = []
    with torch.enable_grad():
        for a in range(0, len(sup), step):
            s = torch.as_tensor(sup[a:a + step], device=dev)  # (e, S)
            weight = init[a:a + step].clone().requires_grad_(True)
            bias = torch.zeros(len(s), j, device=dev, requires_grad=True)
            opt = torch.optim.Adam([weight, bias], lr=lr)
            x, t, v = maps[s], targets[s], visible[s]  # (e, S, C, H, W), (e, S, J, H, W), (e, S, J)
            for _ in range(steps):
                opt.zero_grad(set_to_none=True)
                pred = torch.einsum("ejc,eschw->esjhw", weight, x) + bias[:, None, :, None, None]
                err = ((pred - t) ** 2).mean(dim=(-1, -2)) * v  # (e, S, J)
                err.mean(dim=(1, 2)).sum().backward()
                opt.step()
            with torch.no_grad():
                q = maps[torch.as_tensor(qry[a:a + step], device=dev)]  # (e, Q, C, H, W)
                heat = torch.einsum("ejc,eqchw->eqjhw", weight, q) + bias[:, None, :, None, None]
                peaks.append(refine_peaks(heat))
    return _to_image(features, torch.cat(peaks), qry)
