"""Nodes of the ``transfer`` pipeline: fine-tune on the hand-21 / SMPL-24 domains (Tables 4, 12)."""

from __future__ import annotations

import logging

import torch

from posebh.evaluation.predict import predict
from posebh.evaluation.report_metrics import evaluate_dataset, pck_of_results
from posebh.experiments import merged
from posebh.method.config import MethodConfig
from posebh.method.objective import PoseBHObjective
from posebh.method.phases import transfer_phase_at
from posebh.models.checkpoint import split_expert_backbone
from posebh.models.multihead import ModelConfig, MultiHeadPose
from posebh.models.posebh_model import PoseBHModel
from posebh.pipelines.train.nodes import make_dataset
from posebh.training.trainer import TrainConfig, select_device, train_multihead

log = logging.getLogger(__name__)


def _backbone_of(ckpt: dict) -> dict[str, torch.Tensor]:
    """Backbone weights as a plain ViT: the COCO expert merged in (the split COCO model that
    PoseBH's transfer configs start from), or a single-source model's backbone as is."""
    datasets = list(ckpt["model_cfg"]["datasets"])
    return split_expert_backbone(ckpt, datasets.index("coco") if "coco" in datasets else 0)


def build_transfer_model(target: str, init: str, sources: dict[str, dict], method: dict
                         ) -> tuple[MultiHeadPose, dict | None]:
    """A single-head model for ``target`` and, for the PoseBH init, its method config.

    scratch: random init. aic / baseline: that checkpoint's backbone. posebh: the PoseBH
    backbone and its (frozen) embedding module with new prototypes for the target (§4.5).
    """
    if init not in ("scratch", *sources):
        raise ValueError(f"transfer.inits: unknown init {init!r} (scratch | {' | '.join(sources)})")
    ref = sources.get(init) or sources["baseline"]
    cfg = ModelConfig.from_dict(merged(ref["model_cfg"], {"datasets": [target], "part_features": 0,
                                                          "label_space": "per_dataset"}))
    if init == "posebh":
        mcfg = merged(sources["posebh"].get("method_cfg", method), {"css": False, "negatives": False})
        net: MultiHeadPose = PoseBHModel(cfg, MethodConfig.from_dict(mcfg))
        state = sources["posebh"]["state_dict"]
        net.embed.load_state_dict({k[len("embed."):]: v for k, v in state.items()
                                   if k.startswith("embed.")})
    else:
        mcfg, net = None, MultiHeadPose(cfg)
    if init != "scratch":
        net.backbone.load_state_dict(_backbone_of(sources[init]))
    return net, mcfg


def transfer(target: str, sources: dict[str, dict], train_set: dict, val_set: dict, params: dict,
             method: dict, data: dict, evaluation: dict) -> tuple[dict, dict]:
    """Fine-tune a single-head model on ``target`` from each init in ``params['inits']``.

    Returns (metrics per init, the PoseBH init's learned target prototypes for the t-SNE figure).
    """
    train_cfg = TrainConfig.from_dict(merged(params["train"],
                                             params.get("per_target", {}).get(target, {})))
    device = select_device(params.get("device", "auto"))
    out: dict[str, dict] = {}
    protos: dict = {}
    for init in params["inits"]:
        torch.manual_seed(train_cfg.seed)
        net, mcfg = build_transfer_model(target, init, sources, method)
        objective = None
        if mcfg is not None:
            objective = PoseBHObjective(
                net, MethodConfig.from_dict(mcfg), train_cfg.epochs, True, train_cfg.seed,
                schedule=lambda e: transfer_phase_at(e, train_cfg.epochs, params["prototype_fraction"]))
        ds = make_dataset(train_set, target, 0, net.cfg, data, train=True)
        history = train_multihead(net, [ds], train_cfg, device, objective=objective)
        val = make_dataset(val_set, target, 0, net.cfg, data, train=False)
        results = predict(net, val, target, device, flip_test=evaluation["flip_test"],
                          dark=evaluation["dark"], batch_size=evaluation["batch_size"])
        metrics = evaluate_dataset(val_set, results, target, engine=evaluation["engine"])
        metrics.setdefault("PCK@0.2", pck_of_results(val_set, results, target))
        metrics["train_seconds"] = round(sum(h["seconds"] for h in history), 2)
        metrics["final_loss"] = history[-1]["loss"]
        log.info("transfer %s from %s: %s", target, init, metrics)
        out[init] = metrics
        if isinstance(net, PoseBHModel):
            net = net.cpu()
            protos = {"bank": net.bank.prototypes.clone(),
                      "labels": [list(x) for x in net.keypoint_labels()]}
    return out, protos
