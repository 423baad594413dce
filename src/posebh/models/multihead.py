"""The ViTPose++ multi-head model: one shared backbone, one heatmap head per dataset."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

import torch
from pydantic import Field
from torch import nn

from posebh import configs, skeletons
from posebh.models.backbone import ViTBackbone
from posebh.models.heads import HeatmapHead
from posebh.models.merged import merged_heads


@configs.strict
@dataclass
class ModelConfig:
    """Architecture of the backbone and heads (the embedded default: a ~0.5 M-parameter ViT)."""

    img_size: tuple[Annotated[int, Field(ge=16)], Annotated[int, Field(ge=16)]] = (128, 96)  # (H, W)
    patch_size: Annotated[int, Field(ge=1)] = 16
    embed_dim: Annotated[int, Field(ge=1)] = 96
    depth: Annotated[int, Field(ge=1)] = 4
    num_heads: Annotated[int, Field(ge=1)] = 3
    mlp_ratio: Annotated[float, Field(gt=0)] = 4.0
    drop_path_rate: Annotated[float, Field(ge=0, lt=1)] = 0.0
    part_features: Annotated[int, Field(ge=0)] = 24  # ViTPose++: 192 S/B, 256 L, 320 H; 0 = none
    head_channels: Annotated[int, Field(ge=1)] = 64  # ViTPose: 256
    patch_padding: Annotated[int, Field(ge=0)] = 0  # ViTPose pads 2 px (official weights); timm: 0
    label_space: Literal["per_dataset", "merged"] = "per_dataset"  # ViTPose++ | UniDet (Table 11)
    datasets: tuple[str, ...] = field(default_factory=lambda: skeletons.SOURCES)

    @classmethod
    def from_dict(cls, d: dict, where: str = "model") -> "ModelConfig":
        return configs.parse(cls, d, where)

    def to_dict(self) -> dict:
        return configs.to_dict(self)


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
        with no row in the batch is left out when ``full_batch`` is false.
        """
        out: dict[str, torch.Tensor] = {}
        if full_batch and hasattr(self.heads, "forward_all"):  # merged label space: one pass
            out = self.heads.forward_all(feats)
        for d, (name, head) in enumerate(self.heads.items()):
            if name in out:
                continue
            if full_batch:
                out[name] = head(feats)
            elif (dataset_idx == d).any():
                out[name] = head(feats[dataset_idx == d])
        return out
