"""The non-learnable keypoint prototype bank P (J, M, F) and prototype heatmaps (Eq. 1, Eq. 4)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PrototypeBank(nn.Module):
    """J keypoints x M in-class prototypes x F dims, unit norm, updated by momentum, not by SGD.

    Stored as a buffer so it lives in the state dict (the released code's
    ``proto_head.kpt_prototype.prototypes``) and never reaches the optimizer.
    """

    def __init__(self, num_keypoints: int, num_prototypes: int = 3, embed_dim: int = 64,
                 similarity: str = "cos") -> None:
        super().__init__()
        bank = torch.empty(num_keypoints, num_prototypes, embed_dim)
        nn.init.trunc_normal_(bank, mean=0.0, std=0.02, a=-2.0, b=2.0)
        self.register_buffer("prototypes", F.normalize(bank, dim=-1))
        self.similarity = similarity

    @property
    def shape(self) -> torch.Size:
        return self.prototypes.shape

    def scores(self, emb: torch.Tensor, keypoints: slice | None = None,
               bank: torch.Tensor | None = None) -> torch.Tensor:
        """Cosine (or |cos|) of every pixel with every prototype.

        emb: (B, F, h, w) unit-norm -> (B, J', M, h, w) for the selected keypoints (all: J' = J).
        ``bank`` replaces the stored prototypes (a per-step snapshot, so that in-place momentum
        updates never touch a tensor autograd saved).
        """
        bank = self.prototypes if bank is None else bank
        bank = bank if keypoints is None else bank[keypoints]
        s = torch.einsum("bfhw,jmf->bjmhw", emb, bank.to(emb.dtype))
        return s.abs() if self.similarity == "abs" else s

    def heatmaps(self, emb: torch.Tensor, keypoints: slice | None = None,
                 bank: torch.Tensor | None = None) -> torch.Tensor:
        """Prototype keypoint heatmaps k^p (Eq. 1): max over the M prototypes. -> (B, J', h, w)."""
        return self.scores(emb, keypoints, bank).amax(dim=2)

    @torch.no_grad()
    def momentum_update(self, keypoint: int, assign: torch.Tensor, emb: torch.Tensor,
                        momentum: float, normalise: bool = False) -> None:
        """Eq. 4: P_jm <- lambda P_jm + (1 - lambda) mean_n w_mn e_n, then re-normalised.

        assign: (N, M) weights w (zero except at each sample's assigned prototype); emb: (N, F).
        ``normalise`` (the released code): the mean is scaled to unit length before mixing.
        """
        mean = assign.T.to(emb.dtype) @ emb / max(emb.shape[0], 1)  # (M, F)
        mean = F.normalize(mean, dim=-1) if normalise else mean
        new = momentum * self.prototypes[keypoint] + (1.0 - momentum) * mean.to(self.prototypes.dtype)
        self.prototypes[keypoint] = F.normalize(new, dim=-1)

    @torch.no_grad()
    def momentum_update_classes(self, offset: int, cls: torch.Tensor, assigned: torch.Tensor,
                                weight: torch.Tensor, emb: torch.Tensor, momentum: float,
                                normalise: bool = False) -> None:
        """Eq. 4 for every keypoint class present at once (= ``momentum_update`` per class).

        cls: (N,) local class; assigned: (N,) prototype index; weight: (N,) w of that prototype;
        emb: (N, F). Rows ``offset + cls`` of the bank are updated.
        """
        m, f = self.prototypes.shape[1:]
        k = int(cls.max()) + 1
        sums = torch.zeros(k * m, f, dtype=emb.dtype, device=emb.device)
        sums.index_add_(0, cls * m + assigned, weight[:, None].to(emb.dtype) * emb)  # (K*M, F)
        count = torch.bincount(cls, minlength=k).to(emb.dtype)  # N_k
        present = (count > 0).nonzero(as_tuple=True)[0]
        mean = (sums.view(k, m, f) / count.clamp_min(1)[:, None, None])[present]  # (P, M, F)
        mean = F.normalize(mean, dim=-1) if normalise else mean
        rows = offset + present
        new = momentum * self.prototypes[rows] + (1.0 - momentum) * mean.to(self.prototypes.dtype)
        self.prototypes[rows] = F.normalize(new, dim=-1)
