"""Heatmap losses. JointsMSE as in ViTPose/mmpose: per-joint MSE of weighted heatmaps, mean over joints."""

from __future__ import annotations

import torch


def joints_mse(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """JointsMSELoss(use_target_weight=True) without the 0.5 factor.

    pred, target: (B, K, h, w); weight: (B, K). Mean over batch and pixels per joint, then mean over K.
    """
    w = weight[:, :, None, None]
    return ((pred * w - target * w) ** 2).mean(dim=(0, 2, 3)).mean()


def multihead_mse(
    heatmaps: dict[str, torch.Tensor],
    target: torch.Tensor,
    target_weight: torch.Tensor,
    dataset_idx: torch.Tensor,
    order: tuple[str, ...],
) -> dict[str, torch.Tensor]:
    """Per-head JointsMSE, each head supervised only on its own dataset's samples.

    heatmaps[d]: (B_d, K_d, h, w) on the samples given to head d (the whole batch, or only the rows
    of dataset d); target: (B, Kmax, h, w) zero-padded; target_weight: (B, Kmax); dataset_idx: (B,).
    As in ViTPose++, a head that saw the whole batch averages over all B samples, so its loss is
    implicitly scaled by its share of the batch; a head fed only its own rows is rescaled by
    B_d / B to give the same value.
    """
    losses = {}
    batch = dataset_idx.shape[0]
    for d, name in enumerate(order):
        pred = heatmaps.get(name)
        if pred is None:
            continue
        k = pred.shape[1]
        mask = dataset_idx == d
        if pred.shape[0] == batch:  # head ran on the whole batch: mask the other datasets out
            weight = target_weight[:, :k] * mask[:, None].to(target_weight.dtype)
            losses[name] = joints_mse(pred, target[:, :k], weight)
        elif pred.shape[0] > 0:
            losses[name] = joints_mse(pred, target[mask, :k], target_weight[mask, :k]) * (
                pred.shape[0] / batch
            )
    return losses
