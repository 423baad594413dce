"""The model config: backbone and heads of the multi-head model (parsed once, validated)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import Field

from posebh import configs, skeletons


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
