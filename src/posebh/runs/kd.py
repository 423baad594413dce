"""The teacher-based alternative to CSS (issue #17): unified-skeleton multi-teacher distillation.

One stage: a single-dataset teacher per dataset of ``kd.teachers`` (the ``aic_only`` recipe:
``model.datasets = [d]``, ``part_features = 0``, the profile's scratch ``train`` block with
``kd.teacher_train`` over it), then two students fine-tuned from the baseline checkpoint with
the union head of ``runs.kd_student`` for the plain fine-tune of the ``unidet`` variant (the
``finetune`` block, every module trained, as long as ``baseline_ft``): the KD student (Eq. 8,
α and β from ``kd``) and the distillation-off ablation (α = 1: the masked loss, no teacher).
Every model is scored as the trained variants are (``evaluate_variant``), both students also on
the hidden-truth cross-skeleton matrix as the ``cross_skeleton`` stage scores its models.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import torch
from pydantic import Field

from posebh import configs, skeletons
from posebh.evaluation.cross_skeleton import source_units
from posebh.experiments import Variant, merged
from posebh.kd_loss import ALPHA, instance_share_betas
from posebh.runs.config import CrossSkeletonConfig, EvalConfig, SampleConfig
from posebh.runs.cross_skeleton import (
    MATRIX_NOTE,
    NO_TRUTH,
    cross_skeleton_rows,
    first_images,
    nest_rows,
)
from posebh.runs.evaluate import evaluate_variant
from posebh.runs.fit import fingerprint, fit
from posebh.runs.kd_student import (
    FrozenTeacher,
    KDObjective,
    student_checkpoint,
    student_from_baseline,
)
from posebh.runs.variant import ScratchRun, train_variant
from posebh.skeleton_union import UnionSkeleton, build_union
from posebh.training.config import TrainConfig
from posebh.zoo.checkpoint import from_checkpoint

log = logging.getLogger(__name__)

STUDENT, ABLATION = "kd_student", "kd_alpha1"
TEACHER = "kd_teacher_{}"  # model name of the teacher of one dataset
TEACHER_MODEL = {"part_features": 0}  # over {datasets: [d]}: the aic_only variant's override


@configs.strict
@dataclass
class KDConfig:
    """``kd`` block: teachers, Eq. 8's weights, where teachers distil, their training."""

    teachers: tuple[str, ...] = skeletons.SOURCES
    alpha: Annotated[float, Field(ge=0, le=1)] = ALPHA
    betas: dict[str, Annotated[float, Field(ge=0)]] | None = None  # None: instance_share_betas
    distil_across_domains: bool = False  # false: a teacher runs on its own domain's rows only
    teacher_train: dict[str, Any] = field(default_factory=dict)  # over the scratch `train` block

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> KDConfig:
        cfg = configs.parse(cls, d, "kd")
        for i, name in enumerate(cfg.teachers):
            if name not in skeletons.SOURCES:
                raise configs.ConfigError(f"kd.teachers.{i}", "not a source dataset "
                                          f"({', '.join(skeletons.SOURCES)})", name)
        if len(set(cfg.teachers)) != len(cfg.teachers):
            raise configs.ConfigError("kd.teachers", "a teacher is listed twice",
                                      list(cfg.teachers))
        for name in cfg.betas or {}:
            if name not in cfg.teachers:
                raise configs.ConfigError(f"kd.betas.{name}", "not one of kd.teachers", name)
        return cfg

    def teacher_run(self, name: str, model: Mapping[str, Any], train: Mapping[str, Any],
                    data: Mapping[str, Any]) -> ScratchRun:
        """The scratch run of ``name``'s teacher (a bad override names ``kd.teacher_train``)."""
        TrainConfig.from_dict(merged(dict(train), self.teacher_train), "kd.teacher_train")
        variant = Variant(TEACHER.format(name), "scratch", train=self.teacher_train,
                          model={"datasets": [name], **TEACHER_MODEL})
        return ScratchRun.resolve(variant, model, train, data)


def instances(coco: Mapping[str, Any]) -> int:
    """Training instances of a COCO dict: annotations with at least one labelled keypoint."""
    return sum(1 for a in coco.get("annotations", []) if a.get("num_keypoints", 1) > 0)


def resolve_betas(kd: KDConfig, train_sets: Mapping[str, dict]) -> dict[str, float]:
    """``kd.betas``, or the instance-share rule (the paper's 0.25 / 0.45 for COCO + MPII)."""
    if kd.betas is not None:
        missing = [t for t in kd.teachers if t not in kd.betas]
        if missing:
            raise configs.ConfigError("kd.betas", f"no beta for teacher(s) {missing}", kd.betas)
        return {t: float(kd.betas[t]) for t in kd.teachers}
    betas = instance_share_betas({t: instances(train_sets[t]) for t in kd.teachers}, kd.alpha)
    return {t: betas[t] for t in kd.teachers}


@dataclass
class Trained:
    """One trained model of the stage: checkpoint, per-epoch history, wall seconds, cost."""

    checkpoint: dict
    history: list[dict]
    seconds: float
    cost: dict = field(default_factory=dict)


def train_teachers(kd: KDConfig, model: Mapping[str, Any], train: Mapping[str, Any],
                   data: Mapping[str, Any], train_sets: Mapping[str, dict]) -> dict[str, Trained]:
    """One single-dataset model per teacher, from scratch, each on its own dataset only."""
    out = {}
    for name in kd.teachers:
        t0 = time.perf_counter()
        run = kd.teacher_run(name, model, train, data)
        ckpt, history = train_variant(run, {name: train_sets[name]})
        out[name] = Trained(ckpt, history, time.perf_counter() - t0,
                            {"epochs": len(history), "steps": _steps(history, ckpt)})
        log.info("kd teacher %s: %d epochs in %.1f s", name, len(history), out[name].seconds)
    return out


def _steps(history: list[dict], ckpt: dict) -> int:
    """Optimiser steps of a run: images per epoch / batch size (drop_last), from its history."""
    batch = int(ckpt["train_cfg"]["batch_size"])
    return round(sum(h["images_per_s"] * h["seconds"] for h in history) / batch)


def train_student(name: str, baseline: dict, union: UnionSkeleton, train: TrainConfig,
                  sample: SampleConfig, train_sets: Mapping[str, dict],
                  teachers: Mapping[str, dict], betas: Mapping[str, float], alpha: float,
                  across_domains: bool) -> Trained:
    """Fine-tune the baseline's union student with Eq. 8 (``teachers``: checkpoints by name;
    none at α = 1); the checkpoint is a plain multi-head one (``student_checkpoint``)."""
    torch.manual_seed(train.seed)
    net = student_from_baseline(baseline, union)
    frozen = [FrozenTeacher.build(t, from_checkpoint(c), union, net.cfg.datasets, across_domains)
              for t, c in teachers.items()] if alpha < 1 else []
    objective = KDObjective(net, union, frozen, betas, alpha)
    setup = {"alpha": alpha, "betas": dict(betas) if frozen else {}, "union": list(union.names),
             "across_domains": across_domains,
             "teachers": ({t: c.get("fingerprint", {}) for t, c in teachers.items()}
                          if frozen else {})}
    run_id = fingerprint(name, net, train, sample, train_sets, setup)
    t0 = time.perf_counter()
    history = fit(net, train_sets, train, sample, objective, run_id)
    seconds = time.perf_counter() - t0
    ckpt = student_checkpoint(net.cpu(), union, train_cfg=train.to_dict(), fingerprint=run_id,
                              kd={k: setup[k] for k in ("alpha", "betas", "across_domains")})
    log.info("kd %s: %d steps in %.1f s, teachers %s", name, objective.cost["steps"], seconds,
             objective.cost)
    return Trained(ckpt, history, seconds, {**objective.cost, "batch_size": train.batch_size})


def run_kd(kd: KDConfig, baseline: dict, model: Mapping[str, Any], train: Mapping[str, Any],
           finetune: Mapping[str, Any], data: Mapping[str, Any], train_sets: Mapping[str, dict],
           val_sets: Mapping[str, dict], hidden: Mapping[str, Mapping[str, dict]],
           cross: CrossSkeletonConfig, evaluation: EvalConfig) -> tuple[dict, dict, dict, dict]:
    """(metrics, cross-skeleton instance scores, timings, the KD student's checkpoint).

    metrics: {per_dataset: {model: {dataset: metrics}}, matrix: {model: {head: {source: ...}}},
    setup, notes}; scores as the ``cross_skeleton`` stage's ({units, cells}); timings: wall
    seconds and teacher cost (never in the metrics file: it varies run to run).
    """
    sample = SampleConfig.from_data(data)
    datasets = tuple(baseline["model_cfg"]["datasets"])
    absent = [t for t in kd.teachers if t not in datasets]
    if absent:
        raise configs.ConfigError("kd.teachers", f"not datasets of the baseline {list(datasets)}",
                                  absent)
    union = build_union(datasets)  # merged names: the paper's unified skeleton (docs/method.md)
    teachers = train_teachers(kd, model, train, data, train_sets)
    betas = resolve_betas(kd, train_sets)
    plain = TrainConfig.from_dict(dict(finetune), "finetune")  # = unidet's (FinetuneRun, no method)
    ckpts = {t: tr.checkpoint for t, tr in teachers.items()}
    students = {STUDENT: train_student(STUDENT, baseline, union, plain, sample, train_sets, ckpts,
                                       betas, kd.alpha, kd.distil_across_domains),
                ABLATION: train_student(ABLATION, baseline, union, plain, sample, train_sets, {},
                                        {}, 1.0, kd.distil_across_domains)}
    per_dataset, eval_seconds = {}, {}
    models = {**{TEACHER.format(t): tr.checkpoint for t, tr in teachers.items()},
              **{s: tr.checkpoint for s, tr in students.items()}}
    for name, ckpt in models.items():
        t0 = time.perf_counter()
        per_dataset[name] = evaluate_variant(ckpt, val_sets, sample, evaluation)[1]
        eval_seconds[name] = round(time.perf_counter() - t0, 2)
    matrix, scores, cross_seconds, notes = _cross(students, hidden, cross, sample, evaluation)
    setup = {"teachers": list(kd.teachers), "alpha": kd.alpha, "betas": betas,
             "beta_rule": "kd.betas" if kd.betas is not None else "instance_share",
             "distil_across_domains": kd.distil_across_domains, "union_merged": True,
             "union_keypoints": union.num_keypoints,
             "teacher_epochs": {t: tr.cost["epochs"] for t, tr in teachers.items()},
             "teacher_steps": {t: tr.cost["steps"] for t, tr in teachers.items()},
             "student_steps": students[STUDENT].cost["steps"]}
    metrics = {"per_dataset": per_dataset, "matrix": matrix, "setup": setup, "notes": notes}
    timings = {"teachers": {t: {"train_seconds": round(tr.seconds, 2), **tr.cost}
                            for t, tr in teachers.items()},
               "students": {s: {"train_seconds": round(tr.seconds, 2),
                                **{k: round(v, 2) if isinstance(v, float) else v
                                   for k, v in tr.cost.items()}}
                            for s, tr in students.items()},
               "evaluate_seconds": eval_seconds, "cross_skeleton_seconds": cross_seconds,
               "histories": {**{TEACHER.format(t): tr.history for t, tr in teachers.items()},
                             **{s: tr.history for s, tr in students.items()}}}
    return metrics, scores, timings, students[STUDENT].checkpoint


def _cross(students: Mapping[str, Trained], hidden: Mapping[str, Mapping[str, dict]],
           cross: CrossSkeletonConfig, sample: SampleConfig, evaluation: EvalConfig
           ) -> tuple[dict, dict, dict, list[str]]:
    """Both students' cross-skeleton rows on the hidden truth, restricted as the
    ``cross_skeleton`` stage restricts it -> (matrix, {units, cells}, seconds, notes)."""
    if not hidden:
        return {}, {"units": {}, "cells": {}}, {}, [NO_TRUTH]
    hidden = first_images(hidden, cross.max_images)
    rows, cells, seconds = [], {}, {}
    for name, trained in students.items():
        t0 = time.perf_counter()
        model_rows, cells[name] = cross_skeleton_rows(name, trained.checkpoint, hidden, sample,
                                                      evaluation)
        rows += model_rows
        seconds[name] = round(time.perf_counter() - t0, 2)
    units = {s: len(source_units(targets.values())) for s, targets in hidden.items()}
    subset = ([] if cross.max_images is None else
              [(f"Each source's first {cross.max_images} val images by id "
                "(cross_skeleton.max_images), as the cross_skeleton stage.")])
    return nest_rows(rows), {"units": units, "cells": cells}, seconds, [MATRIX_NOTE, *subset]
