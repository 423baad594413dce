"""GFLOPs (= GMACs, mmcv convention) of one evaluation forward pass."""

from __future__ import annotations

import pytest
from tiny import TINY_64

from posebh.evaluation.flops import gflops
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose


def _tiny(depth: int) -> MultiHeadPose:
    return MultiHeadPose(ModelConfig(depth=depth, **TINY_64))


def test_tiny_positive_and_restores_mode() -> None:
    model = _tiny(1)
    model.train()
    g = gflops(model, (64, 48))
    assert g > 0
    assert model.training


def test_one_block_adds_one_blocks_macs() -> None:
    g1 = gflops(_tiny(1), (64, 48))
    g2 = gflops(_tiny(2), (64, 48))
    # tokens, dim, MLP hidden, expert channels
    n, c, hidden, part = (64 // 16) * (48 // 16), 32, 64, 8
    # qkv + proj + fc1 + shared fc2 + one expert (attention matmuls are not counted, as in mmcv)
    block = n * (c * 3 * c + c * c + c * hidden + hidden * (c - part) + hidden * part)
    assert (g2 - g1) * 1e9 == pytest.approx(block, rel=1e-9)


def test_only_one_head_counted() -> None:
    model = _tiny(1)
    assert gflops(model, (64, 48), head=None) > gflops(model, (64, 48), head="coco")


def test_vit_base_matches_paper_table() -> None:
    """ViT-B + ViTPose head at 256x192: the papers' 17.1 GFLOPs (mmcv MACs); a ~90 M model."""
    cfg = ModelConfig(
        img_size=(256, 192),
        embed_dim=768,
        depth=12,
        num_heads=12,
        part_features=192,
        head_channels=256,
        datasets=("coco",),
    )
    g = gflops(MultiHeadPose(cfg), (256, 192))
    assert g == pytest.approx(17.1, rel=0.15)
