"""Fine-tune the baseline checkpoint: PoseBH's three phases, or a plain fine-tune (§4.2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import torch

from posebh.experiments import Variant, merged
from posebh.method.config import MethodConfig
from posebh.method.diagnostics import Diagnostics
from posebh.method.objective import PoseBHObjective
from posebh.method.phases import boundaries
from posebh.method.posebh_model import PoseBHModel
from posebh.runs.config import SampleConfig
from posebh.runs.fit import fingerprint, fit
from posebh.training.config import TrainConfig
from posebh.training.objective import MultiHeadObjective
from posebh.training.trainer import autocast
from posebh.zoo.checkpoint import to_checkpoint
from posebh.zoo.from_baseline import init_from_baseline


@dataclass(frozen=True)
class FinetuneRun:
    """A fine-tune's resolved configs. ``method`` None = no PoseBH modules (plain fine-tune)."""

    variant: str
    model_override: dict[str, Any]
    train: TrainConfig
    method: MethodConfig | None
    sample: SampleConfig

    @classmethod
    def resolve(cls, variant: Variant, finetune: Mapping[str, Any], method: Mapping[str, Any],
                data: Mapping[str, Any]) -> "FinetuneRun":
        mcfg = (None if variant.method is None
                else MethodConfig.from_dict(merged(dict(method), variant.method)))
        train = TrainConfig.from_dict(merged(dict(finetune), variant.train), "finetune")
        if mcfg is not None:  # PoseBH's lr drops coincide with its phase boundaries (50, 90 of 100)
            optim = replace(train.optim, lr_steps=boundaries(train.epochs, mcfg.phases))
            train = replace(train, optim=optim)
        return cls(variant.name, dict(variant.model), train, mcfg, SampleConfig.from_data(data))


def prototypes_of(net: torch.nn.Module, diagnostics: Diagnostics | None = None) -> dict:
    """{bank (J, M, F), labels [[dataset, keypoint]]} of a PoseBH model; {} for any other.

    With ``diagnostics``: also ``init`` (the bank before training, (J, M, F)) and ``pixels``
    (GT foreground pixels each keypoint received over the run, J ints in bank order).
    """
    if not isinstance(net, PoseBHModel):
        return {}
    out = {"bank": net.bank.prototypes.clone(), "labels": [list(x) for x in net.keypoint_labels()]}
    if diagnostics is not None:
        out.update(init=diagnostics.init.cpu().clone(), pixels=diagnostics.pixel_counts())
    return out


def finetune_variant(run: FinetuneRun, baseline: dict, train_sets: Mapping[str, dict],
                     live_dir: str | None = None) -> tuple[dict, list[dict], dict]:
    """Fine-tune ``baseline``; return (checkpoint, history, prototypes)."""
    torch.manual_seed(run.train.seed)
    net = init_from_baseline(baseline, run.model_override, run.method)
    full_batch = run.train.heads_on_full_batch
    objective = (PoseBHObjective(net, run.method, run.train.epochs, full_batch, run.train.seed)
                 if isinstance(net, PoseBHModel) else MultiHeadObjective(net, full_batch))
    diag = (Diagnostics(net, objective, lambda device: autocast(device, run.train.amp))
            if run.train.diagnostics and isinstance(objective, PoseBHObjective) else None)
    run_id = fingerprint(run.variant, net, run.train, run.sample, train_sets, run.method)
    history = fit(net, train_sets, run.train, run.sample, objective, run_id, live_dir,
                  None if diag is None else diag.end_epoch)
    net = net.cpu()
    ckpt = to_checkpoint(net, train_cfg=run.train.to_dict(), fingerprint=run_id)
    return ckpt, history, prototypes_of(net, diag)
