"""Head x image-source matrix: every head of a checkpoint on every source's val images where its
skeleton is defined, scored against the hidden truth (``posebh.data.hidden``).

Inference is exactly ``runs/evaluate.py``'s (GT boxes, flip test, the head's own expert), so a
diagonal cell (head d on d's images) equals the model's usual own-dataset AP.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from posebh.evaluation.cross_skeleton import PCK_THR, score_head
from posebh.evaluation.predict import predict
from posebh.runs.config import EvalConfig, SampleConfig
from posebh.runs.inputs import make_dataset
from posebh.training.trainer import select_device
from posebh.zoo.checkpoint import from_checkpoint

log = logging.getLogger(__name__)

PCK_KEY = f"PCK@{PCK_THR:g}"


def cross_skeleton_rows(model: str, checkpoint: dict, hidden: Mapping[str, Mapping[str, dict]],
                        sample: SampleConfig, evaluation: EvalConfig) -> list[dict]:
    """Long rows {model, head, source, AP, PCK@0.1, n_images}, heads in model order, then sources.

    ``hidden``: {source: {target: COCO GT of target on source's val images}}; a (head, source)
    pair without a GT (another domain, or a source the file lacks) is left out.
    """
    net = from_checkpoint(checkpoint)
    device = select_device(evaluation.device)
    rows = []
    for i, head in enumerate(net.cfg.datasets):
        for source, targets in hidden.items():
            if head not in targets:
                continue
            gt = targets[head]
            ds = make_dataset(gt, head, i, net.cfg, sample, train=False)
            results = predict(net, ds, head, device, flip_test=evaluation.flip_test,
                              dark=evaluation.dark, batch_size=evaluation.batch_size)
            rows.append({"model": model, "head": head, "source": source,
                         **score_head(gt, results, head, evaluation.engine)})
    return rows


def cross_skeleton(checkpoints: Mapping[str, dict], hidden: Mapping[str, Mapping[str, dict]],
                   sample: SampleConfig, evaluation: EvalConfig) -> tuple[list[dict], dict]:
    """``cross_skeleton_rows`` of every named checkpoint -> (rows, seconds per model)."""
    rows, seconds = [], {}
    for name, ckpt in checkpoints.items():
        t0 = time.perf_counter()
        rows += cross_skeleton_rows(name, ckpt, hidden, sample, evaluation)
        seconds[name] = round(time.perf_counter() - t0, 2)
        log.info("cross-skeleton %s: %d cells in %.1f s", name,
                 sum(r["model"] == name for r in rows), seconds[name])
    return rows, seconds
