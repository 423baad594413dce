"""The ViTPose++ multi-head model: one shared backbone, one heatmap head per dataset."""

from __future__ import annotations

import torch
from torch import nn

from posebh import skeletons
from posebh.models.backbone import ViTBackbone
from posebh.models.config import ModelConfig
from posebh.models.heads import HeatmapHead
from posebh.models.merged import merged_heads


class MultiHeadPose(nn.Module):
    """Backbone + per-dataset heads; every head runs on the whole batch (as in ViTPose++)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.backbone = ViTBackbone(
            img_size=cfg.img_size,
            patch_size=cfg.patch_size,
            embed_dim=cfg.embed_dim,
            depth=cfg.depth,
            num_heads=cfg.num_heads,
            mlp_ratio=cfg.mlp_ratio,
            drop_path_rate=cfg.drop_path_rate,
            num_experts=len(cfg.datasets),
            part_features=cfg.part_features,
            patch_padding=cfg.patch_padding,
        )
        if cfg.label_space == "merged":
            self.heads = merged_heads(cfg.datasets, cfg.embed_dim, cfg.head_channels)
        elif cfg.label_space == "per_dataset":
            self.heads = nn.ModuleDict(
                {
                    name: HeatmapHead(cfg.embed_dim, skeletons.get(name).num_keypoints,
                                      cfg.head_channels)
                    for name in cfg.datasets
                }
            )
        else:
            raise ValueError(f"model.label_space must be per_dataset or merged, got {cfg.label_space!r}")

    def forward(
        self, images: torch.Tensor, dataset_idx: torch.Tensor, only: str | None = None
    ) -> dict[str, torch.Tensor]:
        # images: (B, 3, H, W); dataset_idx: (B,) -> {dataset: (B, K_d, H/4, W/4)}
        feats = self.backbone(images, dataset_idx)
        names = [only] if only is not None else list(self.heads)
        return {name: self.heads[name](feats) for name in names}

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def run_heads(self, feats: torch.Tensor, dataset_idx: torch.Tensor,
                  full_batch: bool) -> dict[str, torch.Tensor]:
        """Training-time heads: each on the whole batch (ViTPose++, masked loss) or on its own rows.

        feats: (B, C, h', w') backbone features -> {dataset: (B or B_d, K_d, h, w)}; a dataset
        with no row in the batch is left out when ``full_batch`` is false. Rows grouped by
        dataset (``MixedDataset(group_rows=True)``) are read as slices, not gathered by a mask.
        """
        out: dict[str, torch.Tensor] = {}
        if full_batch and hasattr(self.heads, "forward_all"):  # merged label space: one pass
            out = self.heads.forward_all(feats)
        rows: list[torch.Tensor] | tuple[torch.Tensor, ...] | None = None
        if not full_batch and bool((dataset_idx[1:] >= dataset_idx[:-1]).all()):
            counts = torch.bincount(dataset_idx, minlength=len(self.heads))
            rows = feats.split(counts.tolist())
        for d, (name, head) in enumerate(self.heads.items()):
            if name in out:
                continue
            if full_batch:
                out[name] = head(feats)
            elif rows is not None:
                if rows[d].shape[0]:
                    out[name] = head(rows[d])
            elif (dataset_idx == d).any():
                out[name] = head(feats[dataset_idx == d])
        return out
