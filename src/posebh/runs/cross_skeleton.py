"""Head x image-source matrix: every head of a checkpoint on every source's val images where its
skeleton is defined, scored against the hidden truth (``posebh.data.hidden``).

Inference is exactly ``runs/evaluate.py``'s (GT boxes, flip test, the head's own expert), so a
diagonal cell (head d on d's images) equals the model's usual own-dataset AP. Each cell's
per-instance scores are kept too (``evaluation.cross_skeleton.cell_instances``), so the report can
bootstrap the off-diagonal means over val images without the predictions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from posebh.evaluation.cross_skeleton import PCK_THR, cell_instances, score_head, source_units
from posebh.evaluation.predict import predict
from posebh.runs.config import CrossSkeletonConfig, EvalConfig, SampleConfig
from posebh.runs.css_audit import NOTE as AUDIT_NOTE
from posebh.runs.css_audit import css_audit_rows
from posebh.runs.inputs import make_dataset
from posebh.training.trainer import select_device
from posebh.zoo.checkpoint import from_checkpoint

log = logging.getLogger(__name__)

PCK_KEY = f"PCK@{PCK_THR:g}"
MATRIX_NOTE = (f"AP: OKS AP with the head's sigmas; {PCK_KEY}: of the GT box's longer side. "
               "Diagonal = the head on its own dataset's val images; off-diagonal = the head on "
               "another dataset's images against the hidden truth.")
NO_TRUTH = ("No hidden truth: real images carry one skeleton each, so no cross-skeleton "
            "evaluation or CSS audit is possible.")


def cross_skeleton_rows(model: str, checkpoint: dict, hidden: Mapping[str, Mapping[str, dict]],
                        sample: SampleConfig, evaluation: EvalConfig
                        ) -> tuple[list[dict], dict[str, dict[str, dict]]]:
    """(long rows {model, head, source, AP, PCK@0.1, n_images}, heads in model order, then
    sources; {head: {source: per-instance scores as a dict}}).

    ``hidden``: {source: {target: COCO GT of target on source's val images}}; a (head, source)
    pair without a GT (another domain, or a source the file lacks) is left out.
    """
    net = from_checkpoint(checkpoint)
    device = select_device(evaluation.device)
    units = {source: source_units(targets.values()) for source, targets in hidden.items()}
    rows: list[dict] = []
    scores: dict[str, dict[str, dict]] = {}
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
            scores.setdefault(head, {})[source] = cell_instances(gt, results, head,
                                                                 units[source]).to_dict()
    return rows, scores


def cross_skeleton(checkpoints: Mapping[str, dict], hidden: Mapping[str, Mapping[str, dict]],
                   sample: SampleConfig, evaluation: EvalConfig) -> tuple[list[dict], dict, dict]:
    """``cross_skeleton_rows`` of every named checkpoint -> (rows, {model: {head: {source:
    instance scores}}}, seconds per model)."""
    rows, scores, seconds = [], {}, {}
    for name, ckpt in checkpoints.items():
        t0 = time.perf_counter()
        model_rows, scores[name] = cross_skeleton_rows(name, ckpt, hidden, sample, evaluation)
        rows += model_rows
        seconds[name] = round(time.perf_counter() - t0, 2)
        log.info("cross-skeleton %s: %d cells in %.1f s", name,
                 sum(r["model"] == name for r in rows), seconds[name])
    return rows, scores, seconds


def first_images(hidden: Mapping[str, Mapping[str, dict]], n: int | None
                 ) -> dict[str, dict[str, dict]]:
    """``hidden`` restricted to each source's first ``n`` val images by id (None: all of them)."""
    if n is None:
        return {s: dict(t) for s, t in hidden.items()}
    out: dict[str, dict[str, dict]] = {}
    for source, targets in hidden.items():
        for target, coco in targets.items():
            keep = set(sorted(im["id"] for im in coco["images"])[:n])
            out.setdefault(source, {})[target] = {
                **coco, "images": [im for im in coco["images"] if im["id"] in keep],
                "annotations": [a for a in coco["annotations"] if a["image_id"] in keep]}
    return out


def nest_rows(rows: list[dict]) -> dict[str, dict[str, dict[str, dict]]]:
    """Long rows -> {model: {head: {source: the row's other fields}}} (DVC metrics shape)."""
    out: dict[str, dict[str, dict[str, dict]]] = {}
    for r in rows:
        rest = {k: v for k, v in r.items() if k not in ("model", "head", "source")}
        out.setdefault(r["model"], {}).setdefault(r["head"], {})[r["source"]] = rest
    return out


def run_cross_skeleton(checkpoints: Mapping[str, dict], prototypes: Mapping[str, dict],
                       hidden: Mapping[str, Mapping[str, dict]], cfg: CrossSkeletonConfig,
                       sample: SampleConfig, evaluation: EvalConfig) -> tuple[dict, dict]:
    """({matrix, css_audit: {model: {head: {source: ...}}}, notes}, {units: {source: number of
    resampling units}, cells: {model: {head: {source: instance scores}}}}) for ``cfg``'s models
    (wall times go to the log: a metrics file must not change from run to run).

    ``checkpoints`` / ``prototypes``: by model name; an empty ``hidden`` (real data) gives empty
    results and a note saying why.
    """
    for key, names, have in (("models", cfg.models, checkpoints),
                             ("css_audit", cfg.css_audit, prototypes)):
        missing = [m for m in names if m not in have]
        if missing:
            raise ValueError(f"cross_skeleton.{key}: {missing} not among the models the stage "
                             f"reads ({sorted(have)})")
    if not hidden:
        return {"matrix": {}, "css_audit": {}, "notes": [NO_TRUTH]}, {"units": {}, "cells": {}}
    hidden = first_images(hidden, cfg.max_images)
    t0 = time.perf_counter()
    rows, scores, seconds = cross_skeleton({m: checkpoints[m] for m in cfg.models}, hidden,
                                           sample, evaluation)
    audit = [r for m in cfg.css_audit for r in
             css_audit_rows(m, checkpoints[m], prototypes[m], hidden, sample, evaluation)]
    log.info("cross_skeleton seconds: %s, css_audit %.1f", seconds,
             time.perf_counter() - t0 - sum(seconds.values()))
    subset = ([] if cfg.max_images is None else
              [f"Each source's first {cfg.max_images} val images by id (cross_skeleton.max_images), "
               "so a diagonal cell may differ from the model's own-dataset AP on the whole val set."])
    units = {s: len(source_units(targets.values())) for s, targets in hidden.items()}
    return ({"matrix": nest_rows(rows), "css_audit": nest_rows(audit),
             "notes": [MATRIX_NOTE, AUDIT_NOTE, *subset]}, {"units": units, "cells": scores})
