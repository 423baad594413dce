"""ViTPose heatmap head: 2x [deconv 4x4 s2, BN, ReLU] then a 1x1 conv to K channels."""

from __future__ import annotations

import torch
from torch import nn


def upsampler(in_channels: int, channels: int, num_layers: int = 2) -> nn.Sequential:
    """The ViTPose deconvolution stack (also reused by the PoseBH embedding module)."""
    layers: list[nn.Module] = []
    for i in range(num_layers):
        layers += [
            nn.ConvTranspose2d(in_channels if i == 0 else channels, channels, 4, 2, 1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
        ]
    return nn.Sequential(*layers)


class HeatmapHead(nn.Module):
    """TopdownHeatmapSimpleHead: (B, C, h, w) features -> (B, K, 4h, 4w) heatmaps."""

    def __init__(self, in_channels: int, num_keypoints: int, channels: int = 256) -> None:
        super().__init__()
        self.up = upsampler(in_channels, channels)
        self.final = nn.Conv2d(channels, num_keypoints, 1)
        for m in self.modules():
            if isinstance(m, (nn.ConvTranspose2d, nn.Conv2d)):
                nn.init.normal_(m.weight, std=0.001)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.final(self.up(x))
