"""Sinkhorn-Knopp with the equipartition constraint (SwAV; ProtoSeg's online clustering), Eq. 3."""

from __future__ import annotations

import torch


@torch.no_grad()
def sinkhorn(logits: torch.Tensor, kappa: float = 0.05, iters: int = 3) -> torch.Tensor:
    """Soft assignment of N samples to M prototypes with equal prototype mass.

    logits: (N, M) similarities. Returns Q = diag(u) exp(l / kappa) diag(v) as (N, M): every row
    (sample) sums to exactly 1 and every column (prototype) to about N / M (exactly in the limit
    of many iterations; the paper and ProtoSeg use 3).
    """
    q = torch.exp((logits - logits.max()) / kappa).T.double()  # (M, N); max-shift is absorbed by u, v
    m, n = q.shape
    q /= q.sum()
    for _ in range(iters):
        q /= q.sum(dim=1, keepdim=True)  # prototypes: equal mass 1/M
        q /= m
        q /= q.sum(dim=0, keepdim=True)  # samples: mass 1/N
        q /= n
    return (q * n).T.to(logits.dtype)  # (N, M), rows sum to 1


@torch.no_grad()
def sinkhorn_grouped(logits: torch.Tensor, groups: torch.Tensor, kappa: float = 0.05,
                     iters: int = 3, shift: torch.Tensor | None = None) -> torch.Tensor:
    """``sinkhorn`` run independently on every group of rows, all groups at once.

    logits: (N, M); groups: (N,) group id of each sample (a keypoint class). Equal to calling
    ``sinkhorn(logits[groups == g])`` for each g; one pass instead of a Python loop per class.
    ``shift`` (N,): the value subtracted before exp (default: the max of all logits); any value
    constant within a group gives the same result, this one lets several datasets' groups run
    at once with the shift each would have had alone.
    """
    n, m = logits.shape
    _, g = torch.unique(groups, return_inverse=True)  # dense ids 0..G-1
    count = torch.bincount(g).double()  # (G,) samples per group
    top = logits.max() if shift is None else shift[:, None]
    q = torch.exp((logits.double() - top) / kappa)  # (N, M)
    q /= torch.zeros(len(count), dtype=q.dtype, device=q.device).index_add_(0, g, q.sum(1))[g, None]
    for _ in range(iters):
        per_proto = torch.zeros(len(count), m, dtype=q.dtype, device=q.device).index_add_(0, g, q)
        q /= per_proto[g] * m  # each group's prototypes: equal mass 1/M
        q /= q.sum(dim=1, keepdim=True) * count[g, None]  # each sample: mass 1/N_g
    return (q * count[g, None]).to(logits.dtype)
