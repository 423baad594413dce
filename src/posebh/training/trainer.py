"""The multi-dataset training loop: mixed batches, a loss objective, AdamW, AMP, seed 0, resume, DDP.

The objective is the ViTPose++ masked per-head JointsMSE (``MultiHeadObjective``) or PoseBH's
(``posebh.method.objective.PoseBHObjective``); both return a dict of weighted loss terms.
Sampling: ``DistributedSampler(shuffle, seed)`` with ``set_epoch`` on every rank (one rank in a
single process), so rank r of W sees every W-th sample of the same global permutation and a
global batch holds the same samples for any W. Gradients are averaged across ranks by DDP.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from posebh.data.mixed import EpochKeys, MixedDataset, collate
from posebh.training import distributed
from posebh.training.config import TrainConfig
from posebh.training.objective import Objective
from posebh.training.optim import StepSchedule, build_optimizer
from posebh.training.resume import ResumeFile


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


class _Step(nn.Module):
    """Wraps the objective as a module so DistributedDataParallel can drive its forward."""

    def __init__(self, model: nn.Module, objective) -> None:
        super().__init__()
        self.model = model
        self.objective = objective

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.objective(batch)


def _freeze_bn(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


def train_step(step: nn.Module, batch: dict, optimizer: torch.optim.Optimizer,
               scaler: torch.amp.GradScaler, params: list[torch.Tensor], cfg: TrainConfig,
               device: torch.device) -> dict[str, float]:
    """One optimiser step on ``batch`` (moved to ``device``): forward under autocast, backward,
    clip, step. Returns the float loss terms and their sum ``loss``."""
    batch = {k: (v.to(device, non_blocking=True) if torch.is_tensor(v) else v)
             for k, v in batch.items()}
    with autocast(device, cfg.amp):
        terms = step(batch)
    terms = {k: v.float() for k, v in terms.items()}
    loss = sum(terms.values())
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(params, cfg.optim.grad_clip)
    scaler.step(optimizer)
    scaler.update()
    return {"loss": float(loss.detach()), **{k: float(v.detach()) for k, v in terms.items()}}


def train_multihead(
    model: torch.nn.Module,
    datasets: Sequence[torch.utils.data.Dataset],
    cfg: TrainConfig,
    device: torch.device,
    objective: Objective,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
    progress: bool = True,
    resume: ResumeFile | None = None,
    epoch_end: Callable[[int, torch.optim.Optimizer], dict[str, float]] | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` on the concatenation of ``datasets``; return per-epoch logs.

    ``datasets`` are ``TopDownDataset``s (deterministic augmentation per (seed, epoch, index));
    batches hold image (B,3,H,W), target (B,Kmax,h,w), target_weight (B,Kmax), dataset_idx (B,).
    ``cfg.fast_path`` renders each batch at once with its rows grouped by dataset and steps a
    fused AdamW; false is the per-sample reference (``MixedDataset``). ``objective`` (the
    ViTPose++ ``MultiHeadObjective`` or PoseBH's) gets ``start_epoch(epoch) -> log fields``,
    ``__call__(batch) -> weighted terms`` and ``after_step()``. ``resume``: the state is saved
    after every epoch and a run starts from it when its fingerprint matches. Under ``torchrun``
    (WORLD_SIZE > 1) each rank trains on its shard with ``cfg.batch_size`` per rank and gradients
    are averaged (DDP). ``epoch_end(epoch, optimizer)`` (diagnostics) runs after each epoch's
    steps, outside ``seconds``; its fields join the epoch's log.
    """
    seed_everything(cfg.seed)
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    rank, world = distributed.rank_and_world()
    model.to(device).train()
    if cfg.compile:
        model.backbone.compile()  # in place: parameter names (checkpoints) stay as they are
    optimizer = build_optimizer(model, cfg.optim, num_layers=model.backbone.depth,
                                fused=cfg.fast_path)
    schedule = StepSchedule(cfg.optim.lr, cfg.optim.warmup_iters, cfg.optim.warmup_ratio,
                            cfg.optim.lr_steps)
    scaler = torch.amp.GradScaler(enabled=device.type == "cuda" and cfg.amp == "fp16")
    mixed = MixedDataset(datasets, fast=cfg.fast_path, group_rows=cfg.fast_path)
    sampler = EpochKeys(DistributedSampler(mixed, num_replicas=world, rank=rank, shuffle=True,
                                           seed=cfg.seed, drop_last=True))
    loader = DataLoader(mixed, batch_size=cfg.batch_size, sampler=sampler, drop_last=True,
                        collate_fn=collate, num_workers=cfg.num_workers,
                        persistent_workers=cfg.num_workers > 0)
    if len(loader) == 0:
        raise ValueError(f"training set of {len(sampler)} samples per rank is smaller than one batch "
                         f"of {cfg.batch_size} (drop_last): lower train.batch_size or add data")
    history: list[dict[str, float]] = []
    iteration, start = 0, 0
    state = resume.load() if resume is not None else None
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["torch_rng"])
        iteration, start, history = state["iteration"], state["epoch"] + 1, state["history"]
    step = _Step(model, objective)
    trainable: tuple | None = None
    ddp: nn.Module = step
    for epoch in range(start, cfg.epochs):
        for ds in datasets:
            ds.set_epoch(epoch)
        sampler.set_epoch(epoch)
        model.train()
        extra = objective.start_epoch(epoch)
        if cfg.freeze_bn_stats:
            _freeze_bn(model)
        now = tuple(p.requires_grad for p in model.parameters())
        if world > 1 and now != trainable:  # DDP tracks the trainable set: rebuild per phase
            ddp = distributed.wrap(step, device)
        trainable = now
        params = [p for p in model.parameters() if p.requires_grad]
        t0, sums, count = time.perf_counter(), {}, 0
        total = min(len(loader), cfg.steps_per_epoch or len(loader))
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.epochs}", total=total,
                   disable=not progress or rank > 0,
                   leave=False, mininterval=5.0)
        for batch in bar:
            if cfg.steps_per_epoch is not None and count >= cfg.steps_per_epoch:
                break
            lr = schedule.apply(optimizer, epoch, iteration)
            terms = train_step(ddp, batch, optimizer, scaler, params, cfg, device)
            objective.after_step()
            iteration += 1
            count += 1
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + v
            bar.set_postfix(loss=f"{terms['loss']:.2e}", lr=f"{lr:.1e}", refresh=False)
        seconds = time.perf_counter() - t0
        log = {k: v / max(count, 1) for k, v in sums.items()}
        log.update(extra)
        if epoch_end is not None:
            log.update(epoch_end(epoch, optimizer))
        log.update(epoch=epoch, lr=lr if count else 0.0, seconds=seconds,
                   images_per_s=count * cfg.batch_size * world / max(seconds, 1e-9))
        history.append(log)
        if resume is not None and rank == 0:
            resume.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                         "scaler": scaler.state_dict(), "torch_rng": torch.get_rng_state(),
                         "iteration": iteration, "epoch": epoch, "history": history})
        if on_epoch is not None:
            on_epoch(epoch, log)
    return history
