"""Train a model on its source datasets with dvclive logging and a per-run resume file."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

import torch

from posebh.models.multihead import MultiHeadPose
from posebh.runs.config import SampleConfig
from posebh.runs.inputs import data_digest, training_sets
from posebh.training import distributed
from posebh.training.config import TrainConfig
from posebh.training.objective import Objective
from posebh.training.resume import ResumeFile, digest
from posebh.training.trainer import select_device, train_multihead

log = logging.getLogger(__name__)


def fingerprint(variant: str, net: MultiHeadPose, train: TrainConfig, sample: SampleConfig,
                sets: Mapping[str, dict], method: object | None = None) -> dict[str, str]:
    """What identifies a run: variant + hashes of the resolved configs and the training data."""
    method_dict = getattr(method, "to_dict", lambda: method)()
    return {"variant": variant, "model": digest(net.cfg.to_dict()), "method": digest(method_dict),
            "train": digest(train.to_dict()), "sample": digest(repr(sample)),
            "data": data_digest(sets, net.cfg.datasets)}


def _live(directory: str | None):
    if directory is None:
        return None
    from dvclive import Live  # per-epoch metrics; dvcyaml=False keeps dvc.yaml ours

    return Live(directory, dvcyaml=False, save_dvc_exp=False)


def _close(live) -> None:
    """End the dvclive run and close the DVC repo it opened (left open, a failed run prints
    dulwich tracebacks at interpreter shutdown)."""
    live.end()
    repo = getattr(live, "_dvc_repo", None)  # dvclive keeps it private; no public close
    if repo is not None:
        repo.close()


def fit(net: MultiHeadPose, sets: Mapping[str, dict], train: TrainConfig, sample: SampleConfig,
        objective: Objective, run_id: dict[str, str], live_dir: str | None = None,
        epoch_end: Callable[[int, torch.optim.Optimizer], dict[str, float]] | None = None
        ) -> list[dict]:
    """Train ``net`` on ``sets`` (dataset name -> COCO dict); return the per-epoch history.

    ``run_id`` is the run's fingerprint: with ``train.resume`` (a folder) the state goes to
    ``<folder>/<variant>.pt`` and is reused only by a run with the same fingerprint.
    ``epoch_end``: per-epoch diagnostics (``method.diagnostics.Diagnostics.end_epoch``).
    """
    datasets = training_sets(sets, net.cfg, sample)
    device = distributed.init_from_env() or select_device(train.device)  # torchrun: DDP
    resume = (ResumeFile(Path(train.resume) / f"{run_id['variant']}.pt", run_id)
              if train.resume else None)
    live = _live(live_dir)

    def on_epoch(epoch: int, logs: dict) -> None:
        log.info("epoch %d %s", epoch, {k: round(v, 6) for k, v in logs.items()})
        if live is not None:
            for k, v in logs.items():
                if k != "epoch":
                    live.log_metric(f"train/{k}", v)
            live.next_step()

    log.info("training %d parameters on %s, %d samples", net.num_parameters(), device,
             sum(len(s) for s in datasets))
    try:
        return train_multihead(net, datasets, train, device, objective, on_epoch=on_epoch,
                               resume=resume, epoch_end=epoch_end)
    finally:
        if live is not None:
            _close(live)
