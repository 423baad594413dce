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
