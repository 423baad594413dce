"""Speed benchmark of PoseBH training and deployment (``posebh bench-method``, ``make bench``).

* Train step: median wall time of ``steps`` optimiser steps (after ``warmup``) on a fixed random
  batch (no data loading; rows grouped by dataset as the trainer hands them), for the ViTPose++
  baseline objective (every head on the whole batch, as ViTPose++; and own rows only, the
  embedded default) and PoseBH's phases 1-3, each on a copy of one model, steps interleaved.
  Ratios are taken against the full-batch baseline, all measured in one run.
* Deployment: FLOPs (``torch.utils.flop_counter``) and median latency of the deployed per-dataset
  PoseBH model over the deployed baseline (alternating runs, so drift hits both equally).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as _dt
import platform
import statistics
import time
from collections.abc import Callable

import torch

from posebh import skeletons
from posebh.evaluation.flops import gflops
from posebh.method.config import MethodConfig
from posebh.method.objective import PoseBHObjective
from posebh.models.config import ModelConfig
from posebh.training.objective import MultiHeadObjective
from posebh.zoo.checkpoint import build_model, from_checkpoint, to_checkpoint
from posebh.zoo.deploy import deploy


def synthetic_batch(cfg: ModelConfig, batch_size: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random images, datasets cycling over the sources, one Gaussian per labelled keypoint."""
    g = torch.Generator().manual_seed(seed)
    h, w = cfg.img_size
    hh, ww = h // 4, w // 4
    kmax = max(skeletons.get(d).num_keypoints for d in cfg.datasets)
    didx = torch.sort(torch.arange(batch_size) % len(cfg.datasets)).values  # grouped, as trained
    target = torch.zeros(batch_size, kmax, hh, ww)
    weight = torch.zeros(batch_size, kmax)
    ys, xs = torch.meshgrid(torch.arange(hh, dtype=torch.float32),
                            torch.arange(ww, dtype=torch.float32), indexing="ij")
    for b in range(batch_size):
        k = skeletons.get(cfg.datasets[int(didx[b])]).num_keypoints
        cy = torch.randint(3, hh - 3, (k,), generator=g).float()
        cx = torch.randint(3, ww - 3, (k,), generator=g).float()
        target[b, :k] = torch.exp(-((ys - cy[:, None, None]) ** 2 + (xs - cx[:, None, None]) ** 2) / 8)
        weight[b, :k] = 1
    return {"image": torch.randn(batch_size, 3, h, w, generator=g), "target": target,
            "target_weight": weight, "dataset_idx": didx}


def _step(objective: Callable, opt: torch.optim.Optimizer, batch: dict) -> float:
    t0 = time.perf_counter()
    loss = sum(objective(batch).values())
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return time.perf_counter() - t0


def bench_train(model_cfg: dict, method_cfg: dict, batch_size: int, steps: int = 5,
                warmup: int = 2) -> dict:
    """Median train-step seconds of the baseline and of each PoseBH phase, and their ratios.

    Every objective drives its own copy of one initial model (a phase freezes parameters and
    phase 2 runs K-means once, outside the timed steps); their steps are interleaved, so load
    drift on the machine hits all of them alike. ``phase3_css_every_candidate`` sets
    ``css_conf_thr`` 0: an untrained head never passes the real threshold, a trained one does.
    """
    torch.manual_seed(0)
    model = build_model(model_cfg, method_cfg).train()
    method = MethodConfig.from_dict(method_cfg)
    batch = synthetic_batch(model.cfg, batch_size)
    runs: dict[str, tuple[Callable, torch.optim.Optimizer]] = {}

    def add(name: str, make: Callable[[torch.nn.Module], Callable], epoch: int | None = None):
        net = copy.deepcopy(model)
        objective = make(net)
        if epoch is not None:
            objective.start_epoch(epoch)
        net.train()
        runs[name] = objective, torch.optim.AdamW(
            [p for p in net.parameters() if p.requires_grad], lr=1e-5)

    add("baseline_full_batch", lambda n: MultiHeadObjective(n, True))
    add("baseline_own_rows", lambda n: MultiHeadObjective(n, False))
    for epoch, name in ((0, "phase1"), (50, "phase2_css"), (90, "phase3_css")):
        add(name, lambda n: PoseBHObjective(n, method, epochs=100, heads_on_full_batch=True),
            epoch)
    every = dataclasses.replace(method, css_conf_thr=0.0)
    add("phase3_css_every_candidate",
        lambda n: PoseBHObjective(n, every, epochs=100, heads_on_full_batch=True), 90)
    times: dict[str, list[float]] = {k: [] for k in runs}
    for i in range(warmup + steps):
        for name, (objective, opt) in runs.items():
            t = _step(objective, opt, batch)
            if i >= warmup:
                times[name].append(t)
    out = {k: statistics.median(v) for k, v in times.items()}
    base = out["baseline_full_batch"]
    return {"seconds": {k: round(v, 4) for k, v in out.items()},
            "ratio_to_baseline_full_batch": {k: round(v / base, 3) for k, v in out.items()}}


def bench_deploy(model_cfg: dict, method_cfg: dict, dataset: str = "coco", repeats: int = 20,
                 batch_size: int = 1) -> dict:
    """Deployed PoseBH vs deployed baseline (same weights layout): FLOPs and latency ratios."""
    torch.manual_seed(0)
    posebh = deploy(to_checkpoint(build_model(model_cfg, method_cfg)), dataset)
    torch.manual_seed(0)
    baseline = deploy(to_checkpoint(build_model(model_cfg, None)), dataset)
    nets = {k: from_checkpoint(c).eval() for k, c in (("posebh", posebh), ("baseline", baseline))}
    cfg = nets["baseline"].cfg
    flops = {k: gflops(n, cfg.img_size, 0, head=dataset) for k, n in nets.items()}
    x = torch.randn(batch_size, 3, *cfg.img_size)
    idx = torch.zeros(batch_size, dtype=torch.long)
    times: dict[str, list[float]] = {"posebh": [], "baseline": []}
    with torch.no_grad():
        for n in nets.values():
            n(x, idx)  # warm-up
        for _ in range(repeats):
            for k, n in nets.items():
                t0 = time.perf_counter()
                n(x, idx)
                times[k].append(time.perf_counter() - t0)
    lat = {k: statistics.median(v) for k, v in times.items()}
    return {"gflops": flops, "flops_ratio": flops["posebh"] / flops["baseline"],
            "latency_s": {k: round(v, 5) for k, v in lat.items()},
            "latency_ratio": round(lat["posebh"] / lat["baseline"], 3)}


def run_method_bench(configs: dict[str, dict], steps: int = 5) -> dict:
    """Every config: ``{model, method, batch_size}`` -> train-step and deployment results."""
    res = {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
           "machine": {"platform": platform.platform(), "processor": platform.processor(),
                       "threads": torch.get_num_threads(), "torch": torch.__version__},
           "configs": {}}
    for name, c in configs.items():
        res["configs"][name] = {
            "batch_size": c["batch_size"],
            "train": bench_train(c["model"], c["method"], c["batch_size"], steps),
            "deploy": bench_deploy(c["model"], c["method"]),
        }
    return res


@contextlib.contextmanager
def _timed_calls(targets: dict[str, tuple[object, str]], out: dict[str, float]):
    """Wrap ``getattr(module, attr)`` for each label so its calls add their seconds to ``out``."""
    saved = {label: getattr(mod, attr) for label, (mod, attr) in targets.items()}

    def wrap(label: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                out[label] = out.get(label, 0.0) + time.perf_counter() - t0
        return timed

    for label, (mod, attr) in targets.items():
        setattr(mod, attr, wrap(label, saved[label]))
    try:
        yield
    finally:
        for label, (mod, attr) in targets.items():
            setattr(mod, attr, saved[label])


def profile_phase3(model_cfg: dict, method_cfg: dict, batch_size: int, steps: int = 5) -> dict:
    """Milliseconds of one PoseBH phase-3 + CSS step by part (forward parts: foreground
    sampling, PPC/PPD with its Sinkhorn, Sinkhorn alone, negatives, CSS; then backward and
    optimiser), ``css_conf_thr`` 0 so CSS does its full work; K-means once (phase 2 entry)."""
    from posebh.method import global_pixels
    from posebh.method import objective as objective_module

    torch.manual_seed(0)
    model = build_model(model_cfg, method_cfg).train()
    method = dataclasses.replace(MethodConfig.from_dict(method_cfg), css_conf_thr=0.0)
    objective = PoseBHObjective(model, method, epochs=100, heads_on_full_batch=True)
    t0 = time.perf_counter()
    objective.start_epoch(90)
    kmeans = time.perf_counter() - t0
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    batch = synthetic_batch(model.cfg, batch_size)
    targets = {"foreground": (objective_module, "foreground_all"),
               "ppc_ppd_with_sinkhorn": (objective_module, "prototype_terms"),
               "sinkhorn": (global_pixels, "sinkhorn_grouped"),
               "negatives": (objective_module, "negatives_terms"),
               "css": (objective_module, "css_all")}
    parts: dict[str, float] = {}
    _step(objective, opt, batch)  # warm-up
    with _timed_calls(targets, parts):
        for _ in range(steps):
            t0 = time.perf_counter()
            loss = sum(objective(batch).values())
            t1 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            t2 = time.perf_counter()
            opt.step()
            t3 = time.perf_counter()
            for k, v in (("forward", t1 - t0), ("backward", t2 - t1), ("optimizer", t3 - t2)):
                parts[k] = parts.get(k, 0.0) + v
    return {"kmeans_once_ms": round(1e3 * kmeans, 1),
            **{f"{k}_ms": round(1e3 * v / steps, 2) for k, v in parts.items()}}
