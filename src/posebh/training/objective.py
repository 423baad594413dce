"""The objective protocol the training loop drives, and the ViTPose++ multi-head loss."""

from __future__ import annotations

from typing import Protocol

import torch

from posebh.losses import multihead_mse
from posebh.models.multihead import MultiHeadPose


class Objective(Protocol):
    """What ``train_multihead`` calls: per epoch, per batch, after each optimiser step."""

    def start_epoch(self, epoch: int) -> dict: ...

    def __call__(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]: ...

    def after_step(self) -> None: ...


class MultiHeadObjective:
    """ViTPose++: every head's JointsMSE on its own dataset's samples (masked), weight 1."""

    def __init__(self, model: MultiHeadPose, full_batch: bool) -> None:
        self.model, self.full_batch = model, full_batch
        self.order = tuple(model.heads.keys())

    def start_epoch(self, epoch: int) -> dict:
        return {}

    def __call__(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        images, didx = batch["image"], batch["dataset_idx"]
        feats = self.model.backbone(images, didx)
        out = {k: v.float() for k, v in self.model.run_heads(feats, didx, self.full_batch).items()}
        losses = multihead_mse(out, batch["target"], batch["target_weight"], didx, self.order)
        return {f"loss_{k}": v for k, v in losses.items()}

    def after_step(self) -> None:
        pass
