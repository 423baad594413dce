"""The ViTPose++ multi-head model: one shared backbone, one heatmap head per dataset."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from posebh import skeletons
from posebh.models.backbone import ViTBackbone
from posebh.models.heads import HeatmapHead
from posebh.models.merged import merged_heads


@dataclass
class ModelConfig:
    """Architecture of the backbone and heads (the embedded default: a ~0.5 M-parameter ViT)."""

    img_size: tuple[int, int] = (128, 96)  # (H, W)
    patch_size: int = 16
    embed_dim: int = 96
    depth: int = 4
    num_heads: int = 3
    mlp_ratio: float = 4.0
    drop_path_rate: float = 0.0
    part_features: int = 24  # ViTPose++: 192 for S/B, 256 L, 320 H; 0 = no experts
    head_channels: int = 64  # ViTPose: 256
    patch_padding: int = 0  # ViTPose's PatchEmbed pads 2 px (loading official weights); timm: 0
    label_space: str = "per_dataset"  # per_dataset (ViTPose++) | merged (UniDet-style, Table 11)
    datasets: tuple[str, ...] = field(default_factory=lambda: skeletons.SOURCES)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        d = dict(d)
        for key in ("img_size", "datasets"):
            if key in d:
                d[key] = tuple(d[key])
        return cls(**d)

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


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
