"""PoseBH keypoint embedding module (supplement B): upsampler, SiLU residual block, two convs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from posebh.models.heads import upsampler


class ResBlock(nn.Module):
    """3x3 conv-BN-SiLU, 3x3 conv-BN, plus a 1x1 conv-BN shortcut when channels change; SiLU."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = (
            nn.Identity() if in_channels == out_channels
            else nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                               nn.BatchNorm2d(out_channels))
        )
        self.act = nn.SiLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.act(y + self.shortcut(x))


class EmbeddingModule(nn.Module):
    """(B, C, h, w) backbone features -> (B, F, 4h, 4w) per-pixel L2-normalised embeddings."""

    def __init__(self, in_channels: int, embed_dim: int = 64, channels: int = 256) -> None:
        super().__init__()
        self.up = upsampler(in_channels, channels)
        self.res = ResBlock(channels, embed_dim)
        self.conv = nn.Sequential(
            nn.Conv2d(embed_dim, embed_dim, 3, padding=1, bias=False),
            nn.BatchNorm2d(embed_dim),
            nn.SiLU(inplace=True),
        )
        self.out = nn.Conv2d(embed_dim, embed_dim, 1)
        for m in self.modules():
            if isinstance(m, (nn.ConvTranspose2d, nn.Conv2d)):
                nn.init.normal_(m.weight, std=0.001)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        e = self.out(self.conv(self.res(self.up(feats))))  # (B, F, 4h, 4w)
        return F.normalize(e, dim=1)
