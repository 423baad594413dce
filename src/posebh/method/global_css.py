"""Cross-type self-supervision (Eq. 7-8) for every head at once, on (row, global keypoint) pairs.

The same maths as ``PoseBHObjective._css`` summed over the datasets d: head d supervises its
keypoints on the rows of the other datasets. Here all heads' candidate pairs are handled in one
pass. A pair whose head peak is not above ``css_conf_thr`` can never be kept (Eq. 7's filter
needs both peaks above it), so head d's prototype heatmaps are computed only on the rows where
one of its peaks passes: identical decisions, less work while the heads are unsure (with every
head confident it is the reference's work). The kept pairs' heatmaps, with gradient, come from
one padded batched matmul (``pair_heatmaps``) instead of a loop over rows.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from posebh.method.config import MethodConfig
from posebh.method.css import fuse_peaks, peaks, render_gaussians
from posebh.method.global_pixels import (
    GlobalPixels,
    KeypointIndex,
    dense_heatmaps,
    group_by_dataset,
    prototype_terms,
)


def pair_heatmaps(emb: torch.Tensor, bank: torch.Tensor, rows: torch.Tensor,
                  keypoints: torch.Tensor, mode: str = "cos") -> torch.Tensor:
    """Prototype heatmaps (Eq. 1) of (row, global keypoint) pairs -> (P, h * w).

    emb: (B, F, h, w); bank: (J, M, F); rows, keypoints: (P,). One batched matmul over the rows
    present, each row's keypoints padded to the longest row's count.
    """
    p = rows.numel()
    m, f = bank.shape[1:]
    order = None if p < 2 or bool((rows[1:] >= rows[:-1]).all()) else torch.argsort(rows, stable=True)
    r, kp = (rows, keypoints) if order is None else (rows[order], keypoints[order])
    present, inv, counts = torch.unique_consecutive(r, return_inverse=True, return_counts=True)
    slot = torch.arange(p, device=r.device) - (torch.cumsum(counts, 0) - counts)[inv]  # (P,)
    protos = bank.new_zeros(len(present), int(counts.max()), m, f)  # (R, L, M, F)
    protos[inv, slot] = bank[kp]
    e = emb[present].flatten(2)  # (R, F, hw)
    s = torch.matmul(protos.flatten(1, 2).to(e.dtype), e)  # (R, L * M, hw)
    s = s.view(len(present), -1, m, s.shape[-1])
    hm = (s.abs() if mode == "abs" else s).amax(dim=2)[inv, slot]  # (P, hw), sorted by row
    if order is None:
        return hm
    back = torch.empty_like(order)
    back[order] = torch.arange(p, device=order.device)
    return hm[back]


@torch.no_grad()
def reliable_pairs(heads: list[torch.Tensor], emb: torch.Tensor, bank: torch.Tensor,
                   didx: torch.Tensor, index: KeypointIndex, cfg: MethodConfig,
                   probe: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], None] | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The CSS filter and Eq. 7 on every (unlabelled row, keypoint) pair of every head.

    heads: per dataset (B, K_d, h, w), in bank order; emb: (B, F, h, w). Returns the kept pairs
    (row (P,), global keypoint (P,), fused xy (P, 2), weight (P,)), row-major. ``probe``
    (diagnostics) gets every candidate pair (row, keypoint, kept).
    """
    c_k = torch.cat([x.detach().flatten(2).amax(dim=2).float() for x in heads], dim=1)  # (B, J)
    cand = (index.dataset[None, :] != didx[:, None]) & (c_k > cfg.css_conf_thr)
    b, g = cand.nonzero(as_tuple=True)  # row-major
    if len(b) == 0:
        return b, g, c_k.new_zeros(0, 2), c_k.new_zeros(0)
    ds = index.dataset[g]
    local = g - index.offsets[ds]
    order, bounds = group_by_dataset(ds, len(heads))  # each head's candidates together
    sel = torch.arange(len(b), device=b.device) if order is None else order
    hk, hp = [], []
    for d, (x, s, e) in enumerate(zip(heads, bounds[:-1], bounds[1:])):
        if e == s:
            continue
        bd, jd = b[sel[s:e]], local[sel[s:e]]
        hk.append(x.detach()[bd, jd])  # (P_d, h, w)
        rows, inv = torch.unique(bd, return_inverse=True)  # rows with a candidate of head d
        off, k = int(index.offsets[d]), int(index.sizes[d])
        hp.append(dense_heatmaps(emb[rows].detach(), bank[off:off + k], cfg.similarity)[inv, jd])
    head_peaks, proto_peaks = (tuple(t[0] for t in peaks(torch.cat(x).float()[None]))
                               for x in (hk, hp))  # (P, ...), in `sel` order
    if order is not None:  # back to row-major
        back = torch.empty_like(order)
        back[order] = torch.arange(len(order), device=order.device)
        head_peaks = tuple(t[back] for t in head_peaks)
        proto_peaks = tuple(t[back] for t in proto_peaks)
    keep, fused, weight = fuse_peaks(head_peaks, proto_peaks, cfg.css_conf_thr, cfg.css_dist_thr)
    if probe is not None:
        probe(b, g, keep)
    return b[keep], g[keep], fused[keep], weight[keep]


def css_all(heads: dict[str, torch.Tensor], emb: torch.Tensor, bank: torch.Tensor,
            didx: torch.Tensor, index: KeypointIndex, cfg: MethodConfig,
            probe: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], None] | None = None
            ) -> torch.Tensor:
    """Sum over datasets of ``_css`` (Eq. 8, unweighted by zeta); ``probe``: see ``reliable_pairs``.

    heads: every dataset's (B, K_d, h, w) heatmaps (with grad), in bank order; emb: (B, F, h, w)
    with grad; bank: (J, M, F) snapshot; didx: (B,).
    """
    c = cfg
    zero = emb.sum() * 0.0
    b_all, (h, w) = emb.shape[0], emb.shape[-2:]
    names = list(heads)
    b, g, fused, wt = reliable_pairs([heads[n] for n in names], emb, bank, didx, index, c, probe)
    if len(b) == 0:
        return zero
    with torch.no_grad():
        ds = index.dataset[g]
        order, bounds = group_by_dataset(ds, len(names))  # the per-dataset order: (d, row, k)
        if order is not None:
            b, g, fused, wt, ds = b[order], g[order], fused[order], wt[order], ds[order]
        target = render_gaussians(fused[None], (h, w))[0]  # (P, h, w)
        norm = css_rows(b, ds, b_all, c.normalisation) * index.sizes[ds].to(target.dtype)
    local = g - index.offsets[ds]
    pred = torch.cat([heads[n][b[s:e], local[s:e]] for n, s, e in
                      zip(names, bounds[:-1], bounds[1:]) if e > s])  # (P, h, w)

    def mse(x: torch.Tensor) -> torch.Tensor:  # x (P, h, w)
        return (((x - target) ** 2 * wt[:, None, None] ** 2).mean(dim=(1, 2)) / norm).sum()

    kp = pair_heatmaps(emb, bank, b, g, c.similarity).view(-1, h, w)
    loss = mse(pred) + c.alpha * mse(kp)
    fg = (target > c.fg_threshold) & (wt[:, None, None] > 0)
    p, y, x = fg.nonzero(as_tuple=True)
    _, px_bounds = group_by_dataset(ds[p], len(names))
    flat = (b[p] * h + y) * w + x  # (N,) pixel index into (B * h * w)
    e_px = emb.permute(0, 2, 3, 1).reshape(-1, emb.shape[1]).index_select(0, flat)  # (N, F)
    pixels = GlobalPixels(e_px, g[p], target[p, y, x], px_bounds)
    a, q = prototype_terms(bank, pixels, index, c.kappa, c.sinkhorn_iters, c.similarity,
                           normalisation=c.normalisation)
    return loss + c.beta * a + c.gamma * q


def css_rows(rows: torch.Tensor, ds: torch.Tensor, batch: int, normalisation: str
             ) -> torch.Tensor | int:
    """The rows JointsMSE averages head d's CSS over, for every kept pair (P,): the batch B
    (paper: Eq. 8 over all images), or the number of head d's rows that kept a joint (the
    released code's mean over the filtered instances). rows, ds: (P,) row and dataset."""
    if normalisation != "released":
        return batch
    key = torch.unique(ds * batch + rows)  # distinct (dataset, row) pairs
    per_dataset = torch.bincount(torch.div(key, batch, rounding_mode="floor"),
                                 minlength=int(ds.max()) + 1)
    return per_dataset[ds]
