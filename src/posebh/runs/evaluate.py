"""Evaluate a checkpoint: every head on its own dataset's val split (GT boxes, flip test), and,
where a val split carries person detections (the paper profile's COCO val), with those boxes; the
COCO head on unseen data (OCHuman, Table 10)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from posebh import skeletons
from posebh.evaluation.dataset_metrics import evaluate_dataset, pck_of_results
from posebh.evaluation.flops import gflops
from posebh.evaluation.predict import detections_to_coco, predict
from posebh.runs.config import EvalConfig, SampleConfig
from posebh.runs.inputs import make_dataset, select
from posebh.training.trainer import select_device
from posebh.zoo.checkpoint import from_checkpoint

log = logging.getLogger(__name__)


def evaluate_variant(checkpoint: dict, val_sets: Mapping[str, dict], sample: SampleConfig,
                     evaluation: EvalConfig, only: tuple[str, ...] | None = None
                     ) -> tuple[dict, dict]:
    """(predictions, metrics) per dataset the model was trained on (or those in ``only``)."""
    net = from_checkpoint(checkpoint)
    device = select_device(evaluation.device)
    predictions, metrics = {}, {}
    for i, (name, coco) in enumerate(zip(net.cfg.datasets, select(val_sets, net.cfg.datasets, "val"))):
        if only is not None and name not in only:
            continue
        t0 = time.perf_counter()
        ds = make_dataset(coco, name, i, net.cfg, sample, train=False)
        results = predict(net, ds, name, device, flip_test=evaluation.flip_test,
                          dark=evaluation.dark, batch_size=evaluation.batch_size)
        predictions[name] = results
        metrics[name] = evaluate_dataset(coco, results, name, engine=evaluation.engine)
        metrics[name]["PCK@0.2"] = pck_of_results(coco, results, name)
        metrics[name]["GFLOPs"] = round(gflops(net, net.cfg.img_size, i, head=name), 6)
        # wall time goes to the log, not the metrics: metrics files must not change run to run
        log.info("%s (%.1f s): %s", name, time.perf_counter() - t0,
                 {k: v for k, v in metrics[name].items() if not isinstance(v, dict)})
    return predictions, metrics


def evaluate_detections(checkpoint: dict, val_sets: Mapping[str, dict], sample: SampleConfig,
                        evaluation: EvalConfig) -> dict:
    """Metrics per dataset whose val split has ``detections``: top-down on the detector boxes
    (all scores kept), per-image OKS-NMS, scored against the same GT; {} when none has them."""
    net = from_checkpoint(checkpoint)
    device = select_device(evaluation.device)
    metrics = {}
    for i, name in enumerate(net.cfg.datasets):
        coco = val_sets.get(name) or {}
        if not coco.get("detections"):
            continue
        boxes = detections_to_coco(coco, coco["detections"],
                                   num_keypoints=skeletons.get(name).num_keypoints)
        ds = make_dataset(boxes, name, i, net.cfg, sample, train=False)
        results = predict(net, ds, name, device, flip_test=evaluation.flip_test,
                          dark=evaluation.dark, batch_size=evaluation.batch_size, nms=True)
        metrics[name] = evaluate_dataset(coco, results, name, engine=evaluation.engine)
        log.info("%s, detector boxes (%d): AP %s", name, len(boxes["annotations"]),
                 metrics[name].get("AP"))
    return metrics


# Unseen-data sets (metrics key -> the head that scores them): PoseBH Table 10, OCHuman val / test
# and their "(occ)" sets.
UNSEEN_HEAD = {"ochuman": "coco", "ochuman_test": "coco", "ochuman_occ": "coco", "ochuman_occ_test": "coco"}


def evaluate_unseen(checkpoint: dict, unseen: Mapping[str, dict], sample: SampleConfig,
                    evaluation: EvalConfig) -> dict:
    """{key: metrics} of each non-empty ``unseen`` set (key in ``UNSEEN_HEAD``) scored with its
    head (GT boxes, flip test, that head's OKS sigmas); {} for a model without the head or where
    the profile has no such data (the embedded default: empty sets)."""
    net = from_checkpoint(checkpoint)
    out = {}
    for key, coco in unseen.items():
        head = UNSEEN_HEAD[key]
        if not coco or head not in net.cfg.datasets:
            continue
        sets = {d: coco if d == head else {} for d in net.cfg.datasets}  # only ``head`` is read
        _, metrics = evaluate_variant(checkpoint, sets, sample, evaluation, only=(head,))
        out[key] = {k: v for k, v in metrics[head].items() if k != "GFLOPs"}
    return out
