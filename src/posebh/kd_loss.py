"""Unified-skeleton multi-teacher distillation (the KD baseline of issue #17): Eqs. 6-8 of
"unified skeleton + multi-teacher KD" on heatmap models.

A student predicts every keypoint of the union skeleton (``skeleton_union``). For an image of
dataset i: L = α·L_CK + (1 − α)·Σ_j β_j·L_D(p, T_j), where
- L_CK (Eq. 6) is the squared heatmap error on the keypoints dataset i annotates only;
- L_D (Eq. 7) is Σ_k KL(p_k ‖ t_{j,k}) over teacher j's keypoints, on every image whatever its
  source, with p and t the spatial softmax of the student's and the teacher's heatmaps (the paper's
  RTMPose students distil SimCC 1-D distributions; a heatmap model's analogue is the 2-D one).
Defaults α = 0.30, β_MPII = 0.25, β_COCO = 0.45 (the paper's, for COCO + MPII). For other sets of
teachers ``instance_share_betas`` splits 1 − α by each teacher's share of training instances: our
rule, stated because the paper gives none beyond two datasets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

ALPHA = 0.30
PAPER_BETAS = {"mpii": 0.25, "coco": 0.45}


@dataclass(frozen=True)
class Teacher:
    """One teacher's heatmaps on the batch (or on the rows ``rows`` of it) and where its
    keypoints sit in the union skeleton."""

    name: str
    heatmaps: torch.Tensor  # (B, K_t, h, w), or (B_t, K_t, h, w) on ``rows``; no gradient
    union_index: torch.Tensor  # (K_t,) long: teacher keypoint k -> union channel
    rows: torch.Tensor | None = None  # (B,) bool: the batch rows it saw (None: all of them)


def conditional_keypoint_loss(pred: torch.Tensor, target: torch.Tensor, labelled: torch.Tensor
                              ) -> torch.Tensor:
    """L_CK: pred, target (B, K, h, w) over the union; labelled (B, K) 1 where the image's own
    dataset annotates that keypoint. Mean over pixels, sum over keypoints, mean over the batch."""
    w = labelled.to(pred.dtype)[:, :, None, None]
    return (((pred - target) ** 2) * w).mean(dim=(2, 3)).sum(dim=1).mean()


def heatmap_kl(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Σ_k KL(p_k ‖ t_k) per image, mean over the batch; (B, K, h, w) each, spatial softmax."""
    logp = F.log_softmax(student.flatten(2), dim=-1)  # (B, K, h*w)
    logt = F.log_softmax(teacher.flatten(2), dim=-1)
    return (logp.exp() * (logp - logt)).sum(dim=-1).sum(dim=1).mean()


def distillation_loss(pred: torch.Tensor, teacher: Teacher) -> torch.Tensor:
    """L_D(p, T): the student's union channels of the teacher's keypoints against the teacher,
    per image over the whole batch (a row the teacher did not see adds 0)."""
    if teacher.rows is None:
        return heatmap_kl(pred[:, teacher.union_index], teacher.heatmaps.detach())
    seen = pred[teacher.rows][:, teacher.union_index]  # (B_t, K_t, h, w)
    if seen.shape[0] == 0:
        return pred.sum() * 0.0
    return heatmap_kl(seen, teacher.heatmaps.detach()) * (seen.shape[0] / pred.shape[0])


def kd_loss(pred: torch.Tensor, target: torch.Tensor, labelled: torch.Tensor,
            teachers: Sequence[Teacher], betas: Mapping[str, float], alpha: float = ALPHA
            ) -> dict[str, torch.Tensor]:
    """Eq. 8 and its terms: {"total", "ck", "kd_<teacher>"...}; ``betas`` by teacher name."""
    missing = [t.name for t in teachers if t.name not in betas]
    if missing:
        raise ValueError(f"kd_loss: no beta for teacher(s) {missing} (betas: {sorted(betas)})")
    terms = {"ck": conditional_keypoint_loss(pred, target, labelled)}
    total = alpha * terms["ck"]
    for t in teachers:
        terms[f"kd_{t.name}"] = distillation_loss(pred, t)
        total = total + (1 - alpha) * betas[t.name] * terms[f"kd_{t.name}"]
    return {"total": total, **terms}


def instance_share_betas(instances: Mapping[str, int], alpha: float = ALPHA) -> dict[str, float]:
    """β per teacher: the paper's values for exactly COCO + MPII, else 1 − α split by each
    teacher's share of training instances (our rule; the betas then sum to 1 − α, as the
    paper's 0.25 + 0.45 = 1 − 0.30 do)."""
    if set(instances) == set(PAPER_BETAS) and alpha == ALPHA:
        return dict(PAPER_BETAS)
    total = sum(instances.values())
    if total <= 0:
        raise ValueError(f"instance_share_betas: no training instances ({dict(instances)})")
    return {name: (1 - alpha) * n / total for name, n in instances.items()}
