"""Training configs: the loop (epochs, batch, AMP, resume folder) and AdamW + its schedule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import Field

from posebh import configs


@configs.strict
@dataclass
class OptimConfig:
    lr: Annotated[float, Field(gt=0)] = 1e-3
    weight_decay: Annotated[float, Field(ge=0)] = 0.1
    betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (0.9, 0.999)
    layer_decay: Annotated[float, Field(gt=0, le=1)] = 0.75  # 0.75 ViT-B, 0.8 S/L/H (ViTPose++)
    warmup_iters: Annotated[int, Field(ge=0)] = 500
    warmup_ratio: Annotated[float, Field(gt=0, le=1)] = 0.001
    lr_steps: tuple[Annotated[int, Field(ge=0)], ...] = (170, 200)  # epochs where lr *= 0.1
    grad_clip: Annotated[float, Field(gt=0)] = 1.0
    eps: Annotated[float, Field(gt=0)] = 1e-8  # Adam's epsilon (torch and mmcv default)
    eps_overrides: dict[str, Annotated[float, Field(gt=0)]] = field(default_factory=dict)  # name prefix -> eps


@configs.strict
@dataclass
class TrainConfig:
    epochs: Annotated[int, Field(ge=1)] = 210
    batch_size: Annotated[int, Field(ge=1)] = 64
    seed: Annotated[int, Field(ge=0)] = 0
    device: str = "auto"  # auto = CUDA when present | cpu | cuda | cuda:N
    optim: OptimConfig = field(default_factory=OptimConfig)
    heads_on_full_batch: bool = True  # ViTPose++: every head sees the whole batch (loss masked)
    amp: Literal["auto", "none", "bf16", "fp16"] = "auto"  # auto: bf16/fp16 on CUDA, none on CPU
    num_threads: Annotated[int, Field(ge=0)] = 0  # 0 = leave torch's default
    num_workers: Annotated[int, Field(ge=0)] = 0
    resume: str | None = None  # folder: each run saves <folder>/<variant>.pt every epoch, resumes
    steps_per_epoch: Annotated[int, Field(ge=1)] | None = None  # cap: an "epoch" = this many batches
    fast_path: bool = True  # batched data path + dataset-grouped rows + fused AdamW; false = reference
    compile: bool = False  # torch.compile the backbone (opt-in: pays on GPU, not on the CPU default)
    freeze_bn_stats: bool = False  # BN in eval mode (a step then ignores how the batch is split)
    diagnostics: bool = True  # PoseBH fine-tunes: per-epoch mechanism diagnostics (training/diagnostics.py)

    @classmethod
    def from_dict(cls, d: dict, where: str = "train") -> "TrainConfig":
        return configs.parse(cls, d, where)

    def to_dict(self) -> dict:
        return configs.to_dict(self)
