"""Transfer fine-tuning to the hand-21 / SMPL-24 domains from every init of Table 12."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import torch

from posebh.evaluation.dataset_metrics import evaluate_dataset, pck_of_results
from posebh.evaluation.predict import predict
from posebh.experiments import merged
from posebh.method.config import MethodConfig
from posebh.method.objective import PoseBHObjective
from posebh.method.phases import transfer_phase_at
from posebh.method.posebh_model import PoseBHModel
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.runs.config import EvalConfig, SampleConfig, TransferConfig
from posebh.runs.finetune import prototypes_of
from posebh.runs.inputs import make_dataset
from posebh.training.config import TrainConfig
from posebh.training.objective import MultiHeadObjective, Objective
from posebh.training.trainer import select_device, train_multihead
from posebh.zoo.checkpoint import split_expert_backbone

log = logging.getLogger(__name__)


def _backbone_of(ckpt: dict) -> dict[str, torch.Tensor]:
    """Backbone weights as a plain ViT: the COCO expert merged in (the split COCO model that
    PoseBH's transfer configs start from), or a single-source model's backbone as is."""
    datasets = list(ckpt["model_cfg"]["datasets"])
    return split_expert_backbone(ckpt, datasets.index("coco") if "coco" in datasets else 0)


def build_transfer_model(target: str, init: str, sources: Mapping[str, dict],
                         method: Mapping[str, Any]) -> tuple[MultiHeadPose, MethodConfig | None]:
    """A single-head model for ``target`` and, for the PoseBH init, its method config.

    scratch: random init. aic / baseline: that checkpoint's backbone. posebh: the PoseBH
    backbone and its (frozen) embedding module with new prototypes for the target (§4.5).
    """
    if init not in ("scratch", *sources):
        raise ValueError(f"transfer.inits: unknown init {init!r} (scratch | {' | '.join(sources)})")
    ref = sources.get(init) or sources["baseline"]
    cfg = ModelConfig.from_dict(merged(ref["model_cfg"], {"datasets": [target], "part_features": 0,
                                                          "label_space": "per_dataset"}))
    mcfg: MethodConfig | None = None
    if init == "posebh":
        mcfg = MethodConfig.from_dict(merged(sources["posebh"].get("method_cfg", dict(method)),
                                             {"css": False, "negatives": False}))
        net: MultiHeadPose = PoseBHModel(cfg, mcfg)
        state = sources["posebh"]["state_dict"]
        net.embed.load_state_dict({k[len("embed."):]: v for k, v in state.items()
                                   if k.startswith("embed.")})
    else:
        net = MultiHeadPose(cfg)
    if init != "scratch":
        net.backbone.load_state_dict(_backbone_of(sources[init]))
    return net, mcfg


def transfer_train_config(params: TransferConfig, target: str) -> TrainConfig:
    """``transfer.train`` with the target's ``per_target`` overrides (shared by ``adapt``)."""
    return TrainConfig.from_dict(merged(params.train, params.per_target.get(target, {})),
                                 "transfer.train")


def transfer_objective(net: MultiHeadPose, mcfg: MethodConfig | None, train: TrainConfig,
                       prototype_fraction: float) -> Objective:
    """PoseBH's prototype-first transfer objective for a PoseBH model (``mcfg`` given), else the
    ViTPose++ head loss."""
    if mcfg is None:
        return MultiHeadObjective(net, train.heads_on_full_batch)
    assert isinstance(net, PoseBHModel)
    return PoseBHObjective(
        net, mcfg, train.epochs, train.heads_on_full_batch, train.seed,
        schedule=lambda e: transfer_phase_at(e, train.epochs, prototype_fraction))


def fit_and_score(net: MultiHeadPose, objective: Objective, target: str, train_set: dict,
                  val_set: dict, train: TrainConfig, device: torch.device, sample: SampleConfig,
                  evaluation: EvalConfig) -> tuple[dict, list[dict]]:
    """Train ``net`` on ``target`` with ``objective``, score it on ``val_set`` as Table 12 does
    (the protocol's metrics, plus PCK@0.2 for every target). Returns (metrics, per-epoch log)."""
    ds = make_dataset(train_set, target, 0, net.cfg, sample, train=True)
    history = train_multihead(net, [ds], train, device, objective)
    val = make_dataset(val_set, target, 0, net.cfg, sample, train=False)
    results = predict(net, val, target, device, flip_test=evaluation.flip_test,
                      dark=evaluation.dark, batch_size=evaluation.batch_size)
    metrics = evaluate_dataset(val_set, results, target, engine=evaluation.engine)
    metrics.setdefault("PCK@0.2", pck_of_results(val_set, results, target))
    metrics["final_loss"] = history[-1]["loss"]
    return metrics, history


def transfer(target: str, sources: Mapping[str, dict], train_set: dict, val_set: dict,
             params: TransferConfig, method: Mapping[str, Any], sample: SampleConfig,
             evaluation: EvalConfig) -> tuple[dict, dict]:
    """Fine-tune a single-head model on ``target`` from each init in ``params.inits``.

    Returns (metrics per init, the PoseBH init's learned target prototypes for the t-SNE figure).
    """
    train = transfer_train_config(params, target)
    device = select_device(params.device)
    out: dict[str, dict] = {}
    protos: dict = {}
    for init in params.inits:
        torch.manual_seed(train.seed)
        net, mcfg = build_transfer_model(target, init, sources, method)
        objective = transfer_objective(net, mcfg, train, params.prototype_fraction)
        metrics, history = fit_and_score(net, objective, target, train_set, val_set, train,
                                         device, sample, evaluation)
        log.info("transfer %s from %s (%.1f s training): %s", target, init,
                 sum(h["seconds"] for h in history), metrics)
        out[init] = metrics
        if isinstance(net, PoseBHModel):
            protos = prototypes_of(net.cpu())
    return out, protos
