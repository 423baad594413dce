"""The multi-dataset training loop: mixed batches, masked per-head JointsMSE, AdamW, AMP, seed 0."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import ConcatDataset, DataLoader, RandomSampler
from tqdm import tqdm

from posebh.losses import multihead_mse
from posebh.training.optim import OptimConfig, StepSchedule, build_optimizer


@dataclass
class TrainConfig:
    epochs: int = 210
    batch_size: int = 64
    seed: int = 0
    device: str = "auto"  # auto = CUDA when present
    optim: OptimConfig = field(default_factory=OptimConfig)
    heads_on_full_batch: bool = True  # ViTPose++: every head sees the whole batch (loss masked)
    amp: str = "auto"  # auto (bf16/fp16 on CUDA, none on CPU) | none | bf16 | fp16
    num_threads: int = 0  # 0 = leave torch's default
    num_workers: int = 0

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        optim = dict(d.pop("optim", {}))
        for key in ("betas", "lr_steps"):
            if key in optim:
                optim[key] = tuple(optim[key])
        return cls(optim=OptimConfig(**optim), **d)


def seed_everything(seed: int) -> None:
    """Seed torch/numpy and ask for deterministic kernels (bit-identical CPU runs)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def select_device(requested: str = "auto") -> torch.device:
    """CUDA when present (or when asked for), else CPU."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def autocast(device: torch.device, amp: str) -> contextlib.AbstractContextManager:
    """fp16/bf16 autocast; 'auto' means bf16 on CUDA (fp16 where bf16 is unsupported), none on CPU."""
    if amp == "auto":
        if device.type != "cuda":
            return contextlib.nullcontext()
        amp = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if amp == "none":
        return contextlib.nullcontext()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[amp]
    return torch.autocast(device.type, dtype=dtype)


def _forward_heads(model, images, dataset_idx, full_batch: bool) -> dict[str, torch.Tensor]:
    feats = model.backbone(images, dataset_idx)
    out = {}
    for d, (name, head) in enumerate(model.heads.items()):
        if full_batch:
            out[name] = head(feats)
        else:
            rows = dataset_idx == d
            if rows.any():
                out[name] = head(feats[rows])
    return out


def train_multihead(
    model: torch.nn.Module,
    datasets: Sequence[torch.utils.data.Dataset],
    cfg: TrainConfig,
    device: torch.device,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
    progress: bool = True,
) -> list[dict[str, float]]:
    """Train ``model`` (a MultiHeadPose) on the concatenation of ``datasets``; return per-epoch logs.

    Each dataset must expose ``set_epoch(epoch)`` (deterministic augmentation) and yield dicts with
    image (3,H,W), target (Kmax,h,w), target_weight (Kmax,), dataset_idx ().
    """
    seed_everything(cfg.seed)
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    model.to(device).train()
    optimizer = build_optimizer(model, cfg.optim, num_layers=model.backbone.depth)
    schedule = StepSchedule(cfg.optim.lr, cfg.optim.warmup_iters, cfg.optim.warmup_ratio,
                            cfg.optim.lr_steps)
    scaler = torch.amp.GradScaler(enabled=device.type == "cuda" and cfg.amp == "fp16")
    concat = ConcatDataset(list(datasets))
    gen = torch.Generator().manual_seed(cfg.seed)
    loader = DataLoader(concat, batch_size=cfg.batch_size, sampler=RandomSampler(concat, generator=gen),
                        drop_last=True, num_workers=cfg.num_workers,
                        persistent_workers=cfg.num_workers > 0)
    order = tuple(model.heads.keys())
    history: list[dict[str, float]] = []
    iteration = 0
    for epoch in range(cfg.epochs):
        for ds in datasets:
            ds.set_epoch(epoch)
        t0, sums, count = time.perf_counter(), {}, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress,
                   leave=False, mininterval=5.0)
        for batch in bar:
            lr = schedule.apply(optimizer, epoch, iteration)
            images = batch["image"].to(device, non_blocking=True)
            target = batch["target"].to(device)
            weight = batch["target_weight"].to(device)
            didx = batch["dataset_idx"].to(device)
            with autocast(device, cfg.amp):
                heatmaps = _forward_heads(model, images, didx, cfg.heads_on_full_batch)
            heatmaps = {k: v.float() for k, v in heatmaps.items()}
            losses = multihead_mse(heatmaps, target, weight, didx, order)
            loss = sum(losses.values())
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            iteration += 1
            count += 1
            sums["loss"] = sums.get("loss", 0.0) + float(loss)
            for k, v in losses.items():
                sums[f"loss_{k}"] = sums.get(f"loss_{k}", 0.0) + float(v)
            bar.set_postfix(loss=f"{float(loss):.2e}", lr=f"{lr:.1e}", refresh=False)
        seconds = time.perf_counter() - t0
        log = {k: v / max(count, 1) for k, v in sums.items()}
        log.update(epoch=epoch, lr=lr if count else 0.0, seconds=seconds,
                   images_per_s=count * cfg.batch_size / max(seconds, 1e-9))
        history.append(log)
        if on_epoch is not None:
            on_epoch(epoch, log)
    return history
