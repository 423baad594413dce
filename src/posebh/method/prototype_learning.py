"""Pixel-prototype learning (PoseBH Eq. 2-6): foreground sampling, Sinkhorn targets, PPC and PPD.

Indexing is global and consistent for every dataset: dataset d's keypoint k is row
``offset[d] + k`` of the bank (the released code is consistent only for COCO, design note §1.4).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from posebh.method.prototypes import PrototypeBank
from posebh.method.sinkhorn import sinkhorn_grouped


@dataclass
class PixelSamples:
    """Foreground pixels of one dataset's samples: embeddings, local class, GT confidence."""

    emb: torch.Tensor   # (N, F) unit-norm embeddings
    cls: torch.Tensor   # (N,) local keypoint index in [0, K_d)
    conf: torch.Tensor  # (N,) GT heatmap value c_n


def foreground_pixels(emb: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                      threshold: float = 0.0, shared: bool = False) -> PixelSamples:
    """Pixels where a labelled keypoint's GT heatmap exceeds ``threshold``; class = argmax channel.

    ``shared``: a pixel belongs to every keypoint whose GT value equals its maximum (ties shared),
    so keypoints with identical heatmaps (same integer MSRA centre) all get pixels; argmax gives
    them all to the lowest index. Pixels stay in (row, y, x) order, tied classes adjacent.
    emb: (B, F, h, w); target: (B, K, h, w); weight: (B, K) (0 = unlabelled keypoint).
    """
    t = target * (weight > 0).to(target.dtype)[:, :, None, None]
    conf, cls = t.max(dim=1)  # (B, h, w)
    fg = conf > threshold
    if shared:
        member = ((t == conf[:, None]) & fg[:, None]).permute(0, 2, 3, 1)  # (B, h, w, K)
        b, y, x, k = member.nonzero(as_tuple=True)
        return PixelSamples(emb.permute(0, 2, 3, 1)[b, y, x], k, conf[b, y, x])
    pixels = emb.permute(0, 2, 3, 1)[fg]  # (N, F)
    return PixelSamples(pixels, cls[fg], conf[fg])


def similarity(emb: torch.Tensor, protos: torch.Tensor, mode: str = "cos") -> torch.Tensor:
    """(N, F) x (K, M, F) -> (N, K * M) logits, cos or |cos|."""
    s = emb @ protos.reshape(-1, protos.shape[-1]).T.to(emb.dtype)
    return s.abs() if mode == "abs" else s


def assign_prototypes(logits: torch.Tensor, cls: torch.Tensor, num_prototypes: int,
                      kappa: float, iters: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 3 per keypoint class on that class's own pixels.

    logits: (N, K * M); cls: (N,). Returns (t (N,) in-class prototype index, w (N,) its weight).
    """
    m = num_prototypes
    own = logits.detach().view(logits.shape[0], -1, m)[torch.arange(len(cls)), cls]  # (N, M)
    w, t = sinkhorn_grouped(own, cls, kappa=kappa, iters=iters).max(dim=1)
    return t, w


def ppc_ppd(logits: torch.Tensor, target: torch.Tensor, conf: torch.Tensor
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 5 and Eq. 6: confidence-weighted CE and squared distance to the assigned prototype.

    logits: (N, C); target: (N,) column index; conf: (N,). Means over the N pixels.
    """
    n = max(logits.shape[0], 1)
    ce = F.cross_entropy(logits, target, reduction="none")
    pos = logits.gather(1, target[:, None])[:, 0]
    return (conf * ce).sum() / n, (conf * (1.0 - pos) ** 2).sum() / n


def prototype_loss(protos: torch.Tensor, pixels: PixelSamples, kappa: float, iters: int,
                   mode: str = "cos", bank: PrototypeBank | None = None, offset: int = 0,
                   momentum: float | None = None, normalisation: str = "paper"
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """PPC and PPD of one dataset's pixels against its prototypes ``protos`` (K_d, M, F), Eq. 2-6.

    With ``bank`` and ``momentum`` set, the bank rows ``offset + k`` are updated by Eq. 4 from the
    assignment (``protos`` should be a snapshot, not a view of the bank). ``normalisation``
    ``released``: PPC/PPD unweighted by the GT confidence, the Eq. 4 mean scaled to unit length.
    """
    zero = pixels.emb.sum() * 0.0
    if pixels.emb.shape[0] == 0:
        return zero, zero
    m = protos.shape[1]
    logits = similarity(pixels.emb, protos, mode)  # (N, K_d * M)
    t, w = assign_prototypes(logits, pixels.cls, m, kappa, iters)
    if bank is not None and momentum is not None:
        bank.momentum_update_classes(offset, pixels.cls, t, w, pixels.emb.detach(), momentum,
                                     normalise=normalisation == "released")
    return ppc_ppd(logits, pixels.cls * m + t, confidence(pixels.conf, normalisation))


def confidence(conf: torch.Tensor, normalisation: str) -> torch.Tensor:
    """The per-pixel weight c_n of Eq. 5-6 (N,): the GT value (paper), 1 (released code)."""
    return torch.ones_like(conf) if normalisation == "released" else conf
