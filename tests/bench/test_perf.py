"""The performance benchmark's building blocks on tiny inputs (the figures come from `make bench`)."""

from __future__ import annotations

import subprocess

from support import random_coco
from tiny import TINY_64

from posebh.bench.perf import loader_seconds, profile_step, step_seconds
from posebh.bench.stage import DATA, export
from posebh.models.config import ModelConfig
from posebh.runs.config import SampleConfig
from posebh.runs.inputs import training_sets
from posebh.training.config import OptimConfig, TrainConfig


def _inputs(tmp_path):
    model = ModelConfig(**{**TINY_64, "depth": 1, "datasets": ("coco", "ap10k")})
    sets = {d: random_coco(tmp_path, d, 8, i) for i, d in enumerate(model.datasets)}
    cfg = TrainConfig(epochs=1, batch_size=4, optim=OptimConfig(warmup_iters=1, lr_steps=()))
    return training_sets(sets, model, SampleConfig()), model, cfg


def test_loader_step_and_profile_timings_are_positive(tmp_path):
    datasets, model, cfg = _inputs(tmp_path)
    assert loader_seconds(datasets, 4, 3) > 0
    assert loader_seconds(datasets, 4, 3, fast=False) > 0
    loop, model_only = step_seconds(datasets, model, cfg, 3)
    assert loop > 0 and model_only > 0
    parts = profile_step(datasets, model, cfg, steps=3)
    assert set(parts) >= {"data.decode", "data.crop_warp", "data.target_rendering",
                          "step.forward", "step.backward", "step.optimizer"}
    assert all(v >= 0 for v in parts.values())


def test_stage_export_unpacks_a_commit_beside_this_checkouts_data(tmp_path):
    repo = tmp_path / "repo"
    (repo / DATA).mkdir(parents=True)
    (repo / "a.txt").write_text("one")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    (repo / "a.txt").write_text("two")  # uncommitted: not exported
    commit = export(repo, "HEAD", tmp_path / "copy")
    assert len(commit) == 40
    assert (tmp_path / "copy" / "a.txt").read_text() == "one"
    assert (tmp_path / "copy" / DATA).resolve() == (repo / DATA).resolve()


def test_train_throughput_reports_images_per_second_on_cpu():
    import torch

    from posebh.bench.throughput import train_throughput

    model = ModelConfig(**{**TINY_64, "depth": 1, "datasets": ("coco", "aic")})
    out = train_throughput(model, batch_size=4, steps=2, device=torch.device("cpu"), warmup=1)
    assert out["img_per_s"] > 0 and out["batch_size"] == 4 and "peak_memory_gb" not in out
