"""Distributed data-parallel helpers for runs launched with ``torchrun`` (multi-GPU, multi-node).

``torchrun --nproc_per_node=4 -m posebh.commands train ...`` sets RANK/WORLD_SIZE/LOCAL_RANK;
``init`` opens the process group (NCCL on CUDA, gloo on CPU) once per process.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) of the current process group, (0, 1) without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_from_env() -> torch.device | None:
    """Join the process group described by torchrun's environment; return this rank's device.

    Returns None when not launched by torchrun (WORLD_SIZE unset or 1).
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
    if torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return torch.device("cpu")


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """DistributedDataParallel over the currently trainable parameters.

    ``find_unused_parameters``: heads of datasets absent from a shard get no gradient.
    ``broadcast_buffers=False``: BN statistics stay per rank (mmpose's setting).
    """
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids, find_unused_parameters=True,
                                               broadcast_buffers=False)
