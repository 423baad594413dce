"""AdamW with ViTPose's layer-wise learning-rate decay, and the warm-up + step schedule."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch
from torch import nn

from posebh.training.config import OptimConfig


def _layer_id(name: str, num_layers: int) -> int:
    """0 for the embeddings, i+1 for block i, num_layers+1 for everything after the blocks."""
    if "pos_embed" in name or "patch_embed" in name:
        return 0
    m = re.search(r"\.blocks\.(\d+)\.", name)
    if m:
        return int(m.group(1)) + 1
    return num_layers + 1


def _eps(name: str, cfg: OptimConfig) -> float:
    """Adam's epsilon of a parameter: the longest matching ``eps_overrides`` prefix, else ``eps``."""
    hits = [p for p in cfg.eps_overrides if name == p or name.startswith(p.rstrip(".") + ".")]
    return cfg.eps_overrides[max(hits, key=len)] if hits else cfg.eps


def param_groups(model: nn.Module, cfg: OptimConfig, num_layers: int) -> list[dict]:
    """Parameter groups with lr scale decay**(L+1-layer), no weight decay on 1-d params/pos_embed,
    and Adam's epsilon per ``eps_overrides`` (a name prefix, e.g. ``embed`` for PoseBH's module)."""
    groups: dict[tuple[int, bool, float], dict] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        layer = _layer_id(name, num_layers)
        no_decay = p.ndim == 1 or name.endswith(".bias") or "pos_embed" in name
        key = (layer, no_decay, _eps(name, cfg))
        if key not in groups:
            groups[key] = {
                "params": [],
                "weight_decay": 0.0 if no_decay else cfg.weight_decay,
                "lr_scale": cfg.layer_decay ** (num_layers + 1 - layer),
                "eps": key[2],
            }
        groups[key]["params"].append(p)
    return [groups[k] for k in sorted(groups, key=lambda k: (k[0], k[1], -k[2]))]


def build_optimizer(model: nn.Module, cfg: OptimConfig, num_layers: int,
                    fused: bool = False) -> torch.optim.AdamW:
    """AdamW over ``param_groups``; ``fused`` = one kernel for all parameters (CPU and CUDA)."""
    groups = param_groups(model, cfg, num_layers)
    for g in groups:
        g["lr"] = cfg.lr * g["lr_scale"]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, fused=fused or None)


@dataclass
class StepSchedule:
    """Linear warm-up over iterations, then x0.1 at each epoch in ``steps`` (mmcv 'step' policy)."""

    base_lr: float
    warmup_iters: int
    warmup_ratio: float
    steps: tuple[int, ...] = field(default_factory=tuple)

    def lr(self, epoch: int, iteration: int) -> float:
        lr = self.base_lr * 0.1 ** sum(epoch >= s for s in self.steps)
        if iteration < self.warmup_iters:
            k = (1 - iteration / self.warmup_iters) * (1 - self.warmup_ratio)
            lr = lr * (1 - k)
        return lr

    def apply(self, optimizer: torch.optim.Optimizer, epoch: int, iteration: int) -> float:
        lr = self.lr(epoch, iteration)
        for g in optimizer.param_groups:
            g["lr"] = lr * g.get("lr_scale", 1.0)
        return lr
