"""What an observer of PoseBH training sees (mechanism diagnostics): counting hooks only.

``PoseBHObjective.probe`` (None by default) is called with detached facts of each training
batch; a probe must not change anything it is given (training stays bit-identical).
"""

from __future__ import annotations

from typing import Protocol

import torch


class Probe(Protocol):
    """Receives a training batch, its GT foreground pixels and its CSS pairs."""

    def on_batch(self, batch: dict[str, torch.Tensor]) -> None:
        """The batch the objective is about to score (image, target, target_weight, dataset_idx)."""

    def on_pixels(self, keypoints: torch.Tensor) -> None:
        """(N,) global keypoint (bank row) of every GT foreground pixel of the batch."""

    def on_css(self, rows: torch.Tensor, keypoints: torch.Tensor, keep: torch.Tensor) -> None:
        """CSS candidates: (P,) batch row, (P,) global keypoint, (P,) bool kept by Eq. 7's filter."""
