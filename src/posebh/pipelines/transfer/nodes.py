"""Nodes of the ``transfer`` pipeline: fine-tune on the hand-21 / SMPL-24 domains (Tables 4, 12)."""

from __future__ import annotations

import logging

import torch

from posebh.evaluation.predict import predict
from posebh.evaluation.report_metrics import evaluate_dataset, pck_of_results
from posebh.experiments import merged
from posebh.models.checkpoint import split_expert_backbone
from posebh.models.multihead import ModelConfig, MultiHeadPose
from posebh.pipelines.train.nodes import make_dataset
from posebh.training.trainer import TrainConfig, select_device, train_multihead

log = logging.getLogger(__name__)


def transfer(target: str, source_ckpt: dict, train_set: dict, val_set: dict, params: dict,
             data: dict, evaluation: dict) -> dict:
    """Fine-tune a single-head model on ``target`` from each init in ``params['inits']``.

    ``scratch``: random init. ``baseline``: the ViTPose++ baseline's backbone with its COCO expert
    merged into the shared FFN (the split COCO model that PoseBH's transfer configs start from).
    """
    model_cfg = ModelConfig.from_dict(merged(source_ckpt["model_cfg"],
                                             {"datasets": [target], "part_features": 0}))
    train_cfg = TrainConfig.from_dict(params["train"])
    device = select_device(params.get("device", "auto"))
    out: dict[str, dict] = {}
    for init in params["inits"]:
        torch.manual_seed(train_cfg.seed)
        net = MultiHeadPose(model_cfg)
        if init == "baseline":
            coco_expert = list(source_ckpt["model_cfg"]["datasets"]).index("coco")
            net.backbone.load_state_dict(split_expert_backbone(source_ckpt, coco_expert))
        elif init != "scratch":
            raise ValueError(f"transfer.inits: unknown init {init!r} (scratch | baseline)")
        ds = make_dataset(train_set, target, 0, model_cfg, data, train=True)
        history = train_multihead(net, [ds], train_cfg, device)
        val = make_dataset(val_set, target, 0, model_cfg, data, train=False)
        results = predict(net, val, target, device, flip_test=evaluation["flip_test"],
                          dark=evaluation["dark"], batch_size=evaluation["batch_size"])
        metrics = evaluate_dataset(val_set, results, target, engine=evaluation["engine"])
        metrics.setdefault("PCK@0.2", pck_of_results(val_set, results, target))
        metrics["train_seconds"] = round(sum(h["seconds"] for h in history), 2)
        metrics["final_loss"] = history[-1]["loss"]
        log.info("transfer %s from %s: %s", target, init, metrics)
        out[init] = metrics
    return out
