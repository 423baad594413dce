"""Where training time goes on the embedded default, and the performance figures of issue #11
(``posebh bench-perf``, ``make bench``). Not timed tests: every figure is a median of repeated
measurements taken in one run on one machine, written beside its raw timings.

* loader: batches of the training set rendered by the data path alone (image cache warm), img/s;
* consumption: the real training loop (``train_multihead``, data path included), img/s;
* model only: the same ``train_step`` on batches rendered beforehand (no data path);
* profile: the data path split into augmentation draw + matrices, image crop, target rendering
  and batch assembly; the step into forward, backward and optimiser (``torch.profiler``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import yaml
from PIL import Image

from posebh import configs
from posebh.bench.method import _timed_calls, profile_phase3
from posebh.bench.throughput import train_throughput
from posebh.data import mixed as mixed_module
from posebh.data.dataset import TopDownDataset
from posebh.data.mixed import MixedDataset
from posebh.evaluation import predict as predict_module
from posebh.evaluation.dataset_metrics import evaluate_dataset
from posebh.evaluation.predict import predict
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.runs.config import SampleConfig
from posebh.runs.inputs import make_dataset, training_sets
from posebh.training.config import TrainConfig
from posebh.training.objective import MultiHeadObjective
from posebh.training.optim import build_optimizer
from posebh.training.trainer import train_multihead, train_step


def embedded_inputs(root: Path) -> tuple[list[TopDownDataset], ModelConfig, TrainConfig]:
    """The baseline's training sets, model and loop of conf/base (needs ``dvc repro data``)."""
    base = root / "conf" / "base"
    train = yaml.safe_load((base / "parameters_train.yml").read_text())
    data = yaml.safe_load((base / "parameters_data.yml").read_text())["data"]
    model = configs.parse(ModelConfig, train["model"], "model")
    sets = {}
    for d in model.datasets:
        path = root / "data" / "02_intermediate" / f"{d}_train.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing; run `dvc repro data` first")
        sets[d] = json.loads(path.read_text())
    return (training_sets(sets, model, SampleConfig.from_data(data)), model,
            TrainConfig.from_dict(train["train"]))


def _decode(path: str) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _keys(n: int, size: int, batch: int, epoch: int = 0) -> list[list[tuple[int, int]]]:
    perm = torch.randperm(size, generator=torch.Generator().manual_seed(0))[: n * batch]
    return [[(epoch, int(i)) for i in perm[j * batch:(j + 1) * batch]] for j in range(n)]


def _median(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def loader_seconds(datasets: Sequence[TopDownDataset], batch: int, batches: int,
                   fast: bool = True) -> float:
    """Median seconds to render one batch (every image decoded once before timing)."""
    mixed = MixedDataset(datasets, fast=fast, group_rows=fast)
    keys = _keys(batches, len(mixed), batch)
    for ks in keys:
        mixed.__getitems__(ks)  # decode + cache
    it = iter(keys * 3)
    return _median(lambda: mixed.__getitems__(next(it)), 3 * batches)


def step_seconds(datasets: Sequence[TopDownDataset], model_cfg: ModelConfig,
                 cfg: TrainConfig, steps: int) -> tuple[float, float]:
    """(training loop seconds per step, model-only seconds per step) of the baseline objective.

    Every image is decoded first (as after the first epoch of a stage), then the loop runs
    two capped epochs and the second is timed; model-only steps the same optimiser on batches
    rendered before timing.
    """
    for ds in datasets:
        for s in ds.samples:
            ds.load_image(s["path"])
    capped = TrainConfig.from_dict({**cfg.to_dict(), "epochs": 2, "steps_per_epoch": steps,
                                    "optim": cfg.optim.__dict__ | {"lr_steps": ()}})
    torch.manual_seed(0)
    net = MultiHeadPose(model_cfg)
    objective = MultiHeadObjective(net, capped.heads_on_full_batch)
    hist = train_multihead(net, datasets, capped, torch.device("cpu"), objective, progress=False)
    loop = hist[-1]["seconds"] / steps
    mixed = MixedDataset(datasets, fast=capped.fast_path, group_rows=capped.fast_path)
    batches = [mixed.__getitems__(k) for k in _keys(steps, len(mixed), capped.batch_size)]
    optimizer = build_optimizer(net, capped.optim, net.backbone.depth, fused=capped.fast_path)
    scaler = torch.amp.GradScaler(enabled=False)
    params = [p for p in net.parameters() if p.requires_grad]
    it = iter(batches * 2)
    for _ in range(3):
        train_step(objective, next(it), optimizer, scaler, params, capped, torch.device("cpu"))
    model_only = _median(lambda: train_step(objective, next(it), optimizer, scaler, params,
                                            capped, torch.device("cpu")), steps)
    return loop, model_only


def profile_step(datasets: Sequence[TopDownDataset], model_cfg: ModelConfig, cfg: TrainConfig,
                 steps: int = 10) -> dict[str, float]:
    """Milliseconds per training step by part (medians over ``steps`` batches, the first two of
    each part left out as warm-up). The data parts are timed inside ``MixedDataset``'s own
    batch rendering (its calls of ``geometry``, ``crop_batch`` and ``generate_targets``)."""
    mixed = MixedDataset(datasets, group_rows=True)
    keys = _keys(steps, len(mixed), cfg.batch_size)
    out: dict[str, list[float]] = {}
    for ks in keys:
        mixed.__getitems__(ks)  # decode + cache, untimed
    parts = {"data.augmentation_and_matrices": (TopDownDataset, "geometry"),
             "data.crop_warp": (mixed_module, "crop_batch"),
             "data.target_rendering": (mixed_module, "generate_targets")}
    batches = []
    for ks in keys:
        seconds: dict[str, float] = {}
        t0 = time.perf_counter()
        with _timed_calls(parts, seconds):
            batches.append(mixed.__getitems__(ks))
        seconds["data.whole_batch"] = time.perf_counter() - t0
        ds_rows = [mixed.locate(k[1]) for k in ks]
        t0 = time.perf_counter()
        for d, i in ds_rows:
            _decode(mixed.datasets[d].samples[i]["path"])
        seconds["data.decode"] = time.perf_counter() - t0
        for k, v in seconds.items():
            out.setdefault(k, []).append(1e3 * v)
    torch.manual_seed(0)
    net = MultiHeadPose(model_cfg).train()
    objective = MultiHeadObjective(net, cfg.heads_on_full_batch)
    optimizer = build_optimizer(net, cfg.optim, net.backbone.depth, fused=cfg.fast_path)
    for batch in batches:
        t0 = time.perf_counter()
        loss = sum(objective(batch).values())
        optimizer.zero_grad(set_to_none=True)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.optim.grad_clip)
        optimizer.step()
        t3 = time.perf_counter()
        for name, ms in (("step.forward", t1 - t0), ("step.backward", t2 - t1),
                         ("step.optimizer", t3 - t2)):
            out.setdefault(name, []).append(1e3 * ms)
    return {k: round(statistics.median(v[2:] if len(v) > 4 else v), 2) for k, v in out.items()}


def profile_eval(root: Path, model_cfg: ModelConfig, dataset: str = "coco",
                 batch: int = 64) -> dict[str, float]:
    """Milliseconds to evaluate ``dataset``'s val split with an untrained baseline, by part:
    inference (``evaluation.predict.predict``: crops, forward and flip test, heatmap decoding
    taken out), decoding (its ``decode`` calls: DARK), OKS AP (the default engine)."""
    gt = json.loads((root / "data" / "02_intermediate" / f"{dataset}_val.json").read_text())
    data = yaml.safe_load((root / "conf/base/parameters_data.yml").read_text())["data"]
    ds = make_dataset(gt, dataset, 0, model_cfg, SampleConfig.from_data(data), train=False)
    torch.manual_seed(0)
    net = MultiHeadPose(model_cfg)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    with _timed_calls({"eval.decoding": (predict_module, "decode")}, seconds):
        results = predict(net, ds, dataset, torch.device("cpu"), flip_test=True, dark=True,
                          batch_size=batch)
    seconds["eval.inference"] = time.perf_counter() - t0 - seconds.get("eval.decoding", 0.0)
    t0 = time.perf_counter()
    evaluate_dataset(gt, results, dataset)
    seconds["eval.oks"] = time.perf_counter() - t0
    return {k: round(1e3 * v, 1) for k, v in seconds.items()} | {"instances": len(ds)}


def dvc_noop_seconds(root: Path) -> dict:
    """Seconds of ``dvc repro`` when ``dvc status`` says every stage is up to date (else why not)."""
    dvc = [str(Path(sys.executable).with_name("dvc"))]
    status = subprocess.run([*dvc, "status", "--json"], cwd=root, capture_output=True, text=True,
                            check=False)
    if status.returncode != 0 or status.stdout.strip() not in ("{}", ""):
        return {"seconds": None, "why": "dvc status is not clean: run `dvc repro` first"}
    t0 = time.perf_counter()
    subprocess.run([*dvc, "repro"], cwd=root, check=True, capture_output=True)
    return {"seconds": round(time.perf_counter() - t0, 2)}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "platform": platform.platform()}


def _read(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def collect(root: Path, steps: int, bench_dir: Path, paper_model: dict | None = None,
            base_blocks: tuple[dict, dict] | None = None) -> tuple[dict, dict]:
    """(perf.json, profile.json): the six figures with their raw timings, and the profile.

    On a CUDA machine also the paper model's (``paper_model``) train throughput at batch 64,
    eager and with ``torch.compile``. ``base_blocks`` (model, method of conf/base) adds the
    PoseBH phase-3 step by part to the profile.
    Reads ``stage.json``, ``eval.json`` and ``method.json`` of ``bench_dir`` (written by
    ``bench-stage``, ``bench``, ``bench-method``) and the stage records of ``bench_dir/stages``.
    """
    datasets, model_cfg, cfg = embedded_inputs(root)
    loader = loader_seconds(datasets, cfg.batch_size, steps)
    loader_ref = loader_seconds(datasets, cfg.batch_size, steps, fast=False)
    loop, model_only = step_seconds(datasets, model_cfg, cfg, steps)
    stage, ev, method = (_read(bench_dir / f) for f in ("stage.json", "eval.json", "method.json"))
    phase3 = {}
    for name, key in (("embedded_default", "posebh_phase3_over_baseline_embedded"),
                      ("vit_b_256x192", "posebh_phase3_over_baseline_vit_b")):
        sec = (method or {}).get("configs", {}).get(name, {}).get("train", {}).get("seconds")
        phase3[key] = None if sec is None else {
            "ratio": round(sec["phase3_css"] / sec["baseline_full_batch"], 3),
            "phase3_css_s": sec["phase3_css"], "baseline_full_batch_s": sec["baseline_full_batch"],
            "source": "method.json"}
    perf = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "baseline_stage_time_ratio": stage and {"ratio": stage["ratio"], **stage,
                                                "source": "stage.json"},
        "loader_over_consumption": {
            "ratio": round(loop / loader, 2), "loader_img_s": round(cfg.batch_size / loader, 1),
            "consumption_img_s": round(cfg.batch_size / loop, 1),
            "reference_loader_img_s": round(cfg.batch_size / loader_ref, 1)},
        "step_over_model_only": {"ratio": round(loop / model_only, 3),
                                 "train_loop_ms": round(1e3 * loop, 1),
                                 "model_only_ms": round(1e3 * model_only, 1), "steps": steps},
        **phase3,
        "eval_default_over_xtcocotools": ev and {**ev.get("eval_default_over_xtcocotools", {}),
                                                  "source": "eval.json"},
        "dvc_noop_seconds": dvc_noop_seconds(root),
        "paper_model_cuda": {"skipped": "no CUDA device on this machine"},
    }
    if torch.cuda.is_available() and paper_model is not None:
        cfg_b = configs.parse(ModelConfig, paper_model, "model")
        perf["paper_model_cuda"] = {
            "eager": train_throughput(cfg_b, 64, 20, torch.device("cuda")),
            "compiled": train_throughput(cfg_b, 64, 20, torch.device("cuda"), compile=True)}
    stages = {p.stem: json.loads(p.read_text()) for p in sorted((bench_dir / "stages").glob("*.json"))}
    profile = {"machine": perf["machine"], "date": perf["date"],
               "train_step_ms": profile_step(datasets, model_cfg, cfg, steps),
               "evaluation_ms": profile_eval(root, model_cfg), "stages": stages}
    if base_blocks is not None:
        profile["posebh_phase3_step"] = profile_phase3(*base_blocks, cfg.batch_size)
    return perf, profile
