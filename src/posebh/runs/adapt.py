"""Adaptation recipes on the transfer targets (#16 item 5): full fine-tune, new head on a frozen
backbone, the last k blocks, LoRA on attention, and PoseBH's prototype-first transfer, from the
baseline and the PoseBH checkpoints.

Every run is the ``transfer`` stage's run with one change, the recipe (``training.freeze``): the
same model builder, training config (``transfer.train`` + ``per_target``), datasets, loop and
scoring (``runs.transfer``), so a row here is comparable with Table 12's row of its init.
Recipes other than ``prototype_first`` put a new single head on the checkpoint's backbone (the
PoseBH checkpoint's embedding module is not used); ``prototype_first`` is exactly the transfer
stage's PoseBH init (its backbone, frozen embedding module, new prototypes learned first) and
runs from the PoseBH checkpoint only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

import numpy as np
import torch
from pydantic import Field

from posebh import configs
from posebh.method.config import MethodConfig
from posebh.models.multihead import MultiHeadPose
from posebh.runs.config import EvalConfig, SampleConfig, TransferConfig
from posebh.runs.transfer import (
    build_transfer_model,
    fit_and_score,
    transfer_objective,
    transfer_train_config,
)
from posebh.training.freeze import RECIPES, FrozenInEval, apply_recipe, count
from posebh.training.trainer import select_device

log = logging.getLogger(__name__)

SCHEDULED_INIT = "posebh"  # a scheduled recipe (PoseBH's transfer) needs the PoseBH checkpoint

Target = Literal["interhand2d", "pw3d"]  # = skeletons.TRANSFER (tested)
Recipe = Literal["full", "head", "last_k", "lora", "prototype_first"]  # = training.freeze.RECIPES (tested)


@configs.strict
@dataclass
class AdaptConfig:
    """The ``adapt`` block: targets x inits x recipes x seeds; the training itself is
    ``transfer.train`` (+ ``per_target``), so each row is comparable with Table 12's. Parsed when
    the node runs (not by the start-up ``check_params``, which every stage imports)."""

    targets: tuple[Target, ...] = ("interhand2d", "pw3d")
    inits: tuple[Literal["baseline", "posebh"], ...] = ("baseline", "posebh")
    recipes: tuple[Recipe, ...] = ("full", "head", "last_k", "lora", "prototype_first")
    seeds: tuple[Annotated[int, Field(ge=0)], ...] = (0,)
    last_k: Annotated[int, Field(ge=1)] = 2  # blocks unfrozen by last_k (<= the ViT's depth)
    lora_rank: Annotated[int, Field(ge=1)] = 4
    lora_alpha: Annotated[float, Field(gt=0)] = 8.0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> AdaptConfig:
        return configs.parse(cls, d, "adapt")


@dataclass(frozen=True)
class Setting:
    """What every run of one ``adapt`` call shares."""

    sources: Mapping[str, dict]  # init -> checkpoint
    transfer: TransferConfig
    params: AdaptConfig
    method: Mapping[str, Any]
    sample: SampleConfig
    evaluation: EvalConfig
    device: torch.device


@dataclass(frozen=True)
class AdaptRun:
    """One (target, init, recipe, seed) run: val metrics, trained / all parameter values, the
    training wall time (seconds, epochs' sum; not a metric)."""

    metrics: dict
    trainable: int
    total: int
    seconds: float


def adapted_model(target: str, init: str, recipe: str, s: Setting
                  ) -> tuple[MultiHeadPose, MethodConfig | None]:
    """The transfer model of ``init`` for ``recipe``, its parameters frozen / adapted as the
    recipe says (a plain single-head model on the checkpoint's backbone, or for a scheduled
    recipe the transfer stage's PoseBH model and its method config)."""
    if RECIPES[recipe].scheduled:
        net, mcfg = build_transfer_model(target, init, s.sources, s.method)
    else:  # the init's backbone under a new head: the builder's plain-checkpoint branch
        net, mcfg = build_transfer_model(target, "checkpoint", {"checkpoint": s.sources[init]},
                                         s.method)
    p = s.params
    return apply_recipe(net, recipe, p.last_k, p.lora_rank, p.lora_alpha), mcfg


def run_recipe(target: str, init: str, recipe: str, seed: int, train_set: dict, val_set: dict,
               s: Setting) -> AdaptRun:
    """Train and score one recipe from one init with one seed (model init, LoRA init, order)."""
    train = replace(transfer_train_config(s.transfer, target), seed=seed)
    torch.manual_seed(seed)
    net, mcfg = adapted_model(target, init, recipe, s)
    objective = FrozenInEval(transfer_objective(net, mcfg, train, s.transfer.prototype_fraction),
                             net)
    metrics, history = fit_and_score(net, objective, target, train_set, val_set, train, s.device,
                                     s.sample, s.evaluation)
    run = AdaptRun(metrics, count(net, objective.trained), count(net),
                   sum(h["seconds"] for h in history))
    log.info("adapt %s from %s, %s, seed %d: %d / %d trainable, %.1f s: %s", target, init,
             recipe, seed, run.trainable, run.total, run.seconds, metrics)
    return run


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def summarise(runs: list[AdaptRun], seeds: tuple[int, ...]) -> dict:
    """One table cell: each numeric metric's mean over seeds (kept as is where all seeds agree:
    counts stay ints, COCOeval's -1 stays -1), the trainable count and share, the seeds, and
    with more than one seed ``std`` (sample std, ddof 1) of every metric that is not -1."""
    keys = [k for k, v in runs[0].metrics.items() if _number(v)]
    cell: dict[str, Any] = {}
    for k in keys:
        vals = [r.metrics[k] for r in runs]
        cell[k] = vals[0] if len(set(vals)) == 1 else float(np.mean(vals))
    if len({(r.trainable, r.total) for r in runs}) != 1:
        raise RuntimeError("adapt: the trainable set differs between seeds")
    cell.update(trainable_params=runs[0].trainable, total_params=runs[0].total,
                share_trainable=runs[0].trainable / runs[0].total, seeds=list(seeds))
    if len(runs) > 1:
        cell["std"] = {k: float(np.std([r.metrics[k] for r in runs], ddof=1)) for k in keys
                       if all(r.metrics[k] != -1 for r in runs)}
    return cell


def adapt(sources: Mapping[str, dict], sets: Mapping[str, tuple[dict, dict]],
          transfer: TransferConfig, params: AdaptConfig, method: Mapping[str, Any],
          sample: SampleConfig, evaluation: EvalConfig) -> tuple[dict, dict]:
    """Every (target, recipe, init) of ``params`` over ``params.seeds``.

    ``sources``: init -> checkpoint (``baseline``, ``posebh``); ``sets``: target -> (train, val)
    COCO dicts. Returns (metrics ``{target: {recipe: {init: cell}}}`` (``summarise``), wall times
    ``{target: {recipe: {init: {seed: seconds}}}}``). A scheduled recipe runs from the PoseBH
    init only; with the baseline init it is left out.
    """
    s = Setting(sources, transfer, params, method, sample, evaluation,
                select_device(transfer.device))
    metrics: dict[str, dict] = {}
    timings: dict[str, dict] = {}
    for target in params.targets:
        train_set, val_set = sets[target]
        for recipe in params.recipes:
            inits = [i for i in params.inits
                     if not RECIPES[recipe].scheduled or i == SCHEDULED_INIT]
            for init in inits:
                runs = [run_recipe(target, init, recipe, seed, train_set, val_set, s)
                        for seed in params.seeds]
                metrics.setdefault(target, {}).setdefault(recipe, {})[init] = summarise(
                    runs, params.seeds)
                timings.setdefault(target, {}).setdefault(recipe, {})[init] = {
                    str(seed): r.seconds for seed, r in zip(params.seeds, runs)}
    return metrics, timings
