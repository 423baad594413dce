"""UniDet-style label merging (PoseBH Table 11): one head over the union of keypoint names.

Identically named keypoints of different datasets share one output channel (names compared
after ``canonical_name``: lower case, ``L_``/``R_`` -> ``left_``/``right_``, spaces -> ``_``),
so COCO's and AP-10K's ``left_eye`` are the same channel. Each dataset reads its own channels
through a ``MergedView``, which keeps the ``heads[dataset]`` interface of the multi-head model.
"""

from __future__ import annotations

import re

import torch
from torch import nn

from posebh import skeletons
from posebh.models.heads import HeatmapHead


def canonical_name(name: str) -> str:
    """'L_F_Paw' -> 'left_f_paw', 'Root of tail' -> 'root_of_tail', 'left_eye' unchanged."""
    n = name.strip().lower().replace(" ", "_")
    return re.sub(r"^l_", "left_", re.sub(r"^r_", "right_", n))


def merged_label_space(datasets: tuple[str, ...]) -> tuple[list[str], dict[str, list[int]]]:
    """Union of canonical keypoint names (first-seen order) and each dataset's channel indices."""
    names: list[str] = []
    index: dict[str, list[int]] = {}
    for d in datasets:
        idx = []
        for kp in skeletons.get(d).keypoints:
            c = canonical_name(kp)
            if c not in names:
                names.append(c)
            idx.append(names.index(c))
        index[d] = idx
    return names, index


class MergedView(nn.Module):
    """Dataset d's channels of the shared merged head: (B, C, h, w) -> (B, K_d, 4h, 4w)."""

    def __init__(self, shared: HeatmapHead, channels: list[int]) -> None:
        super().__init__()
        self._shared = [shared]  # a plain list: the shared head is registered once, on the model
        self.register_buffer("channels", torch.tensor(channels, dtype=torch.long), persistent=False)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self._shared[0](feats)[:, self.channels]


class MergedHeads(nn.ModuleDict):
    """ModuleDict of per-dataset views plus the one shared head (key ``_merged``, not a dataset)."""

    def __iter__(self):
        return (k for k in super().__iter__() if k != "_merged")

    def keys(self):
        return list(iter(self))

    def values(self):
        return [self[k] for k in self]

    def items(self):
        return [(k, self[k]) for k in self]

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def forward_all(self, feats: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every dataset's channels from ONE pass of the shared head over the batch."""
        out = self["_merged"](feats)  # (B, K_merged, h, w)
        return {k: out[:, self[k].channels] for k in self}


def merged_heads(datasets: tuple[str, ...], in_channels: int, channels: int) -> MergedHeads:
    names, index = merged_label_space(datasets)
    shared = HeatmapHead(in_channels, len(names), channels)
    heads = MergedHeads({"_merged": shared})
    for d in datasets:
        heads[d] = MergedView(shared, index[d])
    return heads
