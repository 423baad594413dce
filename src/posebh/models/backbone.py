"""ViT backbone from timm with the ViTPose++ per-dataset FFN experts.

ViTPose++ splits only fc2 of every block's MLP: a shared Linear(hidden -> dim - part) and one
expert Linear(hidden -> part) per dataset, concatenated; the expert is chosen by the sample's
dataset index. timm's ``Block`` calls ``mlp(x)`` with no side input, so the backbone sets the
routing indices on every expert MLP right before the forward pass (``ExpertMlp.route``).
"""

from __future__ import annotations

from functools import partial

import timm
import torch
from torch import nn


class ExpertMlp(nn.Module):
    """timm-compatible MLP whose fc2 has shared channels plus per-dataset expert channels."""

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        num_experts: int,
        part_features: int,
        act_layer: type[nn.Module] = nn.GELU,
        bias: bool = True,
        drop: float = 0.0,
        **_: object,
    ) -> None:
        super().__init__()
        if not 0 <= part_features < in_features:
            raise ValueError(f"part_features {part_features} must be in [0, {in_features})")
        self.fc1 = nn.Linear(in_features, hidden_features, bias=bias)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, in_features - part_features, bias=bias)
        self.experts = nn.ModuleList(
            nn.Linear(hidden_features, part_features, bias=bias)
            for _ in range(num_experts if part_features else 0)
        )
        self.drop = nn.Dropout(drop)
        self.part_features = part_features
        self._route: torch.Tensor | None = None

    def route(self, dataset_idx: torch.Tensor | None) -> None:
        """Set the per-sample expert indices (B,) used by the next forward pass."""
        self._route = dataset_idx

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, N, C)
        h = self.drop(self.act(self.fc1(x)))  # (B, N, hidden)
        shared = self.fc2(h)  # (B, N, C - part)
        if self.part_features == 0:
            return self.drop(shared)
        if self._route is None:
            raise RuntimeError("ExpertMlp called without routing indices; use ViTBackbone.forward")
        weight = torch.stack([e.weight for e in self.experts])[self._route]  # (B, part, hidden)
        part = torch.einsum("bnh,bph->bnp", h, weight)
        if self.experts[0].bias is not None:
            bias = torch.stack([e.bias for e in self.experts])[self._route]  # (B, part)
            part = part + bias[:, None, :]
        return self.drop(torch.cat([shared, part], dim=-1))


class ViTBackbone(nn.Module):
    """Plain ViT (no class token) returning a (B, C, H/p, W/p) feature map."""

    def __init__(
        self,
        img_size: tuple[int, int] = (128, 96),  # (H, W)
        patch_size: int = 16,
        embed_dim: int = 96,
        depth: int = 4,
        num_heads: int = 3,
        mlp_ratio: float = 4.0,
        drop_path_rate: float = 0.0,
        num_experts: int = 6,
        part_features: int = 0,
        patch_padding: int = 0,
    ) -> None:
        super().__init__()
        mlp = partial(ExpertMlp, num_experts=num_experts, part_features=part_features)
        self.vit = timm.models.vision_transformer.VisionTransformer(
            img_size=img_size,
            patch_size=patch_size,
            embed_dim=embed_dim,
            depth=depth,
            num_heads=num_heads,
            mlp_ratio=mlp_ratio,
            drop_path_rate=drop_path_rate,
            class_token=False,
            global_pool="",
            num_classes=0,
            mlp_layer=mlp,
        )
        if patch_padding:  # ViTPose's PatchEmbed: kernel 16, stride 16, padding 2
            self.vit.patch_embed.proj.padding = (patch_padding, patch_padding)
        self.grid = (img_size[0] // patch_size, img_size[1] // patch_size)
        self.embed_dim = embed_dim
        self.depth = depth

    def forward(self, x: torch.Tensor, dataset_idx: torch.Tensor) -> torch.Tensor:
        # x: (B, 3, H, W), dataset_idx: (B,) -> (B, C, H/p, W/p), channels_last: the tokens'
        # own memory order (no copy), which the heads' deconvolutions also run faster in
        for block in self.vit.blocks:
            block.mlp.route(dataset_idx)
        tokens = self.vit.forward_features(x)  # (B, N, C)
        b, n, c = tokens.shape
        return tokens.reshape(b, *self.grid, c).permute(0, 3, 1, 2)
