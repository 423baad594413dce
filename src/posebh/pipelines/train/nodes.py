"""Nodes of the ``train`` pipeline: train one variant of the multi-head model, then evaluate it."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import torch

from posebh import skeletons
from posebh.data.dataset import TopDownDataset
from posebh.evaluation.flops import gflops
from posebh.evaluation.predict import predict
from posebh.evaluation.report_metrics import evaluate_dataset, pck_of_results
from posebh.experiments import merged
from posebh.method.config import MethodConfig
from posebh.method.objective import PoseBHObjective
from posebh.models.checkpoint import from_checkpoint, to_checkpoint
from posebh.models.multihead import ModelConfig, MultiHeadPose
from posebh.models.posebh_model import PoseBHModel
from posebh.training import distributed
from posebh.training.finetune import finetune_lr_steps, init_from_baseline
from posebh.training.trainer import TrainConfig, select_device, train_multihead

log = logging.getLogger(__name__)


def make_dataset(coco: dict, name: str, dataset_idx: int, model_cfg: ModelConfig, data: dict,
                 train: bool, max_keypoints: int | None = None) -> TopDownDataset:
    """A TopDownDataset over one COCO dict; image root recorded in ``coco['info']``."""
    h, w = model_cfg.img_size
    return TopDownDataset(
        coco, Path(coco["info"]["image_root"]), dataset=name, dataset_idx=dataset_idx,
        input_size=(w, h), heatmap_size=(w // 4, h // 4), sigma=data["sigma"], train=train,
        seed=data["seed"], max_keypoints=max_keypoints, aug=data.get("aug"),
    )


def _live(directory: str | None):
    if directory is None:
        return None
    from dvclive import Live  # dvclive writes per-epoch metrics; dvcyaml=False keeps dvc.yaml ours

    return Live(directory, dvcyaml=False, save_dvc_exp=False)


def _select(model_cfg: ModelConfig, sets: tuple[dict, ...]) -> list[dict]:
    """The train/val dicts of ``model_cfg.datasets`` out of the six sources (in SOURCES order)."""
    by_name = dict(zip(skeletons.SOURCES, sets))
    return [by_name[d] for d in model_cfg.datasets]


def _fit(net: MultiHeadPose, train_sets: tuple[dict, ...], train_cfg: TrainConfig, data: dict,
         live_dir: str | None, objective=None) -> list[dict]:
    model_cfg = net.cfg
    kmax = max(skeletons.get(d).num_keypoints for d in model_cfg.datasets)
    sets = [make_dataset(c, d, i, model_cfg, data, train=True, max_keypoints=kmax)
            for i, (d, c) in enumerate(zip(model_cfg.datasets, _select(model_cfg, train_sets)))]
    device = distributed.init_from_env() or select_device(train_cfg.device)  # torchrun: DDP
    live = _live(live_dir)

    def on_epoch(epoch: int, logs: dict) -> None:
        log.info("epoch %d %s", epoch, {k: round(v, 6) for k, v in logs.items()})
        if live is not None:
            for k, v in logs.items():
                if k != "epoch":
                    live.log_metric(f"train/{k}", v)
            live.next_step()

    log.info("training %d parameters on %s, %d samples", net.num_parameters(), device,
             sum(len(s) for s in sets))
    history = train_multihead(net, sets, train_cfg, device, on_epoch=on_epoch, objective=objective)
    if live is not None:
        live.end()
    return history


def train_variant(*train_sets: dict, model: dict, train: dict, data: dict, override: dict,
                  live_dir: str | None = None) -> tuple[dict, list[dict]]:
    """Train a model from scratch on its source datasets; return (checkpoint, per-epoch history)."""
    model_cfg = ModelConfig.from_dict(merged(model, override.get("model")))
    train_cfg = TrainConfig.from_dict(merged(train, override.get("train")))
    torch.manual_seed(train_cfg.seed)
    net = MultiHeadPose(model_cfg)
    history = _fit(net, train_sets, train_cfg, data, live_dir)
    return to_checkpoint(net.cpu(), train_cfg=train), history


def finetune_variant(baseline: dict, *train_sets: dict, finetune: dict, method: dict, data: dict,
                     override: dict, live_dir: str | None = None) -> tuple[dict, list[dict], dict]:
    """Fine-tune the baseline (PoseBH's three phases when the variant has a method).

    Returns (checkpoint, history, prototypes {bank (J, M, F), labels [[dataset, keypoint]]}).
    """
    method_cfg = None if override.get("method", {}) is None else merged(method, override.get("method"))
    train = merged(finetune, override.get("train"))
    train_cfg = TrainConfig.from_dict(train)
    train_cfg.optim.lr_steps = finetune_lr_steps(train_cfg.epochs, method_cfg, train_cfg.optim.lr_steps)
    torch.manual_seed(train_cfg.seed)
    net = init_from_baseline(baseline, override.get("model"), method_cfg)
    objective = None
    if isinstance(net, PoseBHModel):
        objective = PoseBHObjective(net, MethodConfig.from_dict(method_cfg), train_cfg.epochs,
                                    train_cfg.heads_on_full_batch, train_cfg.seed)
    history = _fit(net, train_sets, train_cfg, data, live_dir, objective)
    net = net.cpu()
    protos = ({"bank": net.bank.prototypes.clone(), "labels": [list(x) for x in net.keypoint_labels()]}
              if isinstance(net, PoseBHModel) else {})
    return to_checkpoint(net, train_cfg=train), history, protos


def evaluate_variant(checkpoint: dict, *val_sets: dict, data: dict, evaluation: dict,
                     only: tuple[str, ...] | None = None) -> tuple[dict, dict]:
    """Predict every trained dataset's val split with its own head; return (predictions, metrics).

    ``val_sets`` are the six sources in SOURCES order; ``only`` restricts the datasets evaluated.
    """
    net = from_checkpoint(checkpoint)
    device = select_device(evaluation.get("device", "auto"))
    predictions, metrics = {}, {}
    for i, (name, coco) in enumerate(zip(net.cfg.datasets, _select(net.cfg, val_sets))):
        if only is not None and name not in only:
            continue
        t0 = time.perf_counter()
        ds = make_dataset(coco, name, i, net.cfg, data, train=False)
        results = predict(net, ds, name, device, flip_test=evaluation["flip_test"],
                          dark=evaluation["dark"], batch_size=evaluation["batch_size"])
        predictions[name] = results
        metrics[name] = evaluate_dataset(coco, results, name, engine=evaluation["engine"])
        metrics[name]["PCK@0.2"] = pck_of_results(coco, results, name)
        metrics[name]["GFLOPs"] = round(gflops(net, net.cfg.img_size, i, head=name), 6)
        metrics[name]["seconds"] = round(time.perf_counter() - t0, 3)
        log.info("%s: %s", name, {k: v for k, v in metrics[name].items() if not isinstance(v, dict)})
    return predictions, metrics
