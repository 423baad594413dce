"""Training throughput and peak memory of one model shape (``posebh bench-perf``): on a CUDA
machine the paper profile's ViT-B 256x192 at batch 64 with bf16 autocast, fused AdamW and
channels_last features (the published anchor: ~330 img/s per A100-40GB for ViTPose-B in
mmpose, fp32, batch 64, 14.1 GB); ``compile`` adds ``torch.compile`` of the backbone.
"""

from __future__ import annotations

import time

import torch

from posebh.bench.method import synthetic_batch
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.training.config import OptimConfig, TrainConfig
from posebh.training.objective import MultiHeadObjective
from posebh.training.optim import build_optimizer
from posebh.training.trainer import train_step


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_throughput(model_cfg: ModelConfig, batch_size: int, steps: int, device: torch.device,
                     amp: str = "auto", compile: bool = False, warmup: int = 3) -> dict:
    """img/s of ``steps`` full-batch ViTPose++ train steps after ``warmup``; peak memory (CUDA)."""
    torch.manual_seed(0)
    net = MultiHeadPose(model_cfg).to(device).train()
    if compile:
        net.backbone.compile()
    cfg = TrainConfig(batch_size=batch_size, amp=amp, optim=OptimConfig(lr_steps=()))
    optimizer = build_optimizer(net, cfg.optim, net.backbone.depth, fused=True)
    scaler = torch.amp.GradScaler(enabled=device.type == "cuda" and amp == "fp16")
    objective = MultiHeadObjective(net, full_batch=True)
    params = [p for p in net.parameters() if p.requires_grad]
    batch = {k: v.to(device) for k, v in synthetic_batch(model_cfg, batch_size).items()}
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for _ in range(warmup):
        train_step(objective, batch, optimizer, scaler, params, cfg, device)
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        train_step(objective, batch, optimizer, scaler, params, cfg, device)
    _sync(device)
    seconds = time.perf_counter() - t0
    out = {"device": str(device), "batch_size": batch_size, "steps": steps, "amp": amp,
           "compile": compile, "img_per_s": round(batch_size * steps / seconds, 1)}
    if device.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(device)
        out["peak_memory_gb"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    return out
