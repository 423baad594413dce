"""PoseBH = the ViTPose++ multi-head model + keypoint embedding module + prototype bank (Fig. 2).

At inference only the multi-head part runs (``forward`` is inherited), so deployed FLOPs equal
the baseline's; ``embed`` and ``bank`` are training-time modules (dropped by ``deploy``).
"""

from __future__ import annotations

import torch

from posebh import skeletons
from posebh.method.config import MethodConfig
from posebh.method.embedding import EmbeddingModule
from posebh.method.prototypes import PrototypeBank
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose


class PoseBHModel(MultiHeadPose):
    """Multi-head pose model with the PoseBH training-time modules."""

    def __init__(self, cfg: ModelConfig, method: MethodConfig) -> None:
        super().__init__(cfg)
        self.method = method
        sizes = [skeletons.get(d).num_keypoints for d in cfg.datasets]
        self.offsets = dict(zip(cfg.datasets, [sum(sizes[:i]) for i in range(len(sizes))]))
        self.embed = EmbeddingModule(cfg.embed_dim, method.embed_dim, cfg.head_channels)
        self.bank = PrototypeBank(sum(sizes), method.num_prototypes, method.embed_dim,
                                  method.similarity)
        k = min(method.num_clusters, sum(sizes) * method.num_prototypes)
        # K-means negatives, filled once when the prototypes freeze (phase 2)
        self.register_buffer("clusters", torch.zeros(k, method.num_prototypes, method.embed_dim))
        self.register_buffer("cluster_owner", torch.full((sum(sizes),), -1, dtype=torch.long))

    @property
    def clusters_ready(self) -> bool:
        return bool((self.cluster_owner >= 0).all())

    def keypoint_labels(self) -> list[tuple[str, str]]:
        """(dataset, keypoint name) of every bank row, in global order."""
        return [(d, kp) for d in self.cfg.datasets for kp in skeletons.get(d).keypoints]
