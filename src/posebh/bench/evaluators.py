"""Speed and parity benchmark of the OKS keypoint evaluators on a synthetic COCO keypoint set.

Engines (each timed as: build GT COCO from a dict + loadRes + evaluate + accumulate + summarize):

* ``posebh``: our path, :func:`posebh.evaluation.oks.evaluate_oks` with the suite's default
  engine (``hotcoco`` with xtcocotools' rules; it also copies its inputs, part of what it costs);
* ``hotcoco``: plain hotcoco ``COCOeval`` with ``params.kpt_oks_sigmas``;
* ``xtcocotools``: plain xtcocotools ``COCOeval(gt, dt, 'keypoints', sigmas, use_area=True)`` — the
  reference every ratio is taken against;
* ``pycocotools``: ``COCOeval`` with ``params.kpt_oks_sigmas``;
* ``faster-coco-eval``: ``COCOeval_faster`` (only if importable: the ``[bench]`` extra).

The synthetic set follows ``deps-feasibility.md`` §5.2 and avoids the two places where xtcocotools
and pycocotools differ on purpose (GT ``num_keypoints`` is consistent, keypoint scores are > 0), so
every engine must give the same 10 stats; the largest |Δ| against plain xtcocotools is reported.
``eval_default_over_xtcocotools`` sums it up: the suite's default engine (``posebh``) against
plain xtcocotools (median seconds, their ratio, largest stat |Δ|).
Inputs are deep-copied outside the timed region (loadRes mutates result dicts). Every engine runs
once on a small set first (imports, allocator warm-up); the time reported is the median of
``repeats``.
"""

from __future__ import annotations

import copy
import datetime as _dt
import os
import platform
import statistics
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

import numpy as np

from posebh import skeletons
from posebh.evaluation.oks import DEFAULT_ENGINE, STAT_NAMES, _quiet, evaluate_oks

IMG_W, IMG_H = 640, 480
REFERENCE = "xtcocotools"
ENGINE_ORDER: tuple[str, ...] = ("posebh", "hotcoco", "xtcocotools", "pycocotools", "faster-coco-eval")

# A standing person in a unit box, COCO keypoint order (nose, eyes, ears, shoulders, elbows, wrists,
# hips, knees, ankles; left before right).
_COCO_TEMPLATE = np.array(
    [
        (0.50, 0.10), (0.54, 0.08), (0.46, 0.08), (0.58, 0.10), (0.42, 0.10),
        (0.68, 0.25), (0.32, 0.25), (0.78, 0.40), (0.22, 0.40), (0.84, 0.55), (0.16, 0.55),
        (0.61, 0.55), (0.39, 0.55), (0.62, 0.75), (0.38, 0.75), (0.63, 0.95), (0.37, 0.95),
    ],
    dtype=np.float64,
)


def _template(k: int) -> np.ndarray:
    if k == 17:
        return _COCO_TEMPLATE
    return np.random.default_rng(1234).uniform(0.05, 0.95, size=(k, 2))


def _r(v: float) -> float:
    return round(float(v), 2)


def _random_box(rng: np.random.Generator) -> tuple[float, float, float, float]:
    w = rng.uniform(40.0, 320.0)
    h = min(w * rng.uniform(1.2, 2.5), IMG_H - 2.0)
    x = rng.uniform(0.0, IMG_W - w)
    y = rng.uniform(0.0, IMG_H - h)
    return _r(x), _r(y), _r(w), _r(h)


def _kpts(points: np.ndarray, third: np.ndarray) -> list[float]:
    out: list[float] = []
    for (px, py), t in zip(points, third, strict=True):
        out += [_r(px), _r(py), float(t)]
    return out


def synthetic_keypoint_set(n_instances: int, seed: int = 0, k: int = 17) -> tuple[dict, list[dict]]:
    """A deterministic COCO keypoint GT dict and results list with ``n_instances`` GT persons.

    1–5 persons per 640x480 image, each a random box with a jittered standing-person template;
    a per-instance fraction 0.3–1.0 of keypoints is labelled (v=2, others 0,0,0; ``num_keypoints``
    matches); area = 0.6 * box area. About 10 % of GTs get no detection; every other GT gets one
    with Gaussian noise of 0.5–8 % of sqrt(area), keypoint scores in (0, 1] and an instance score
    that falls with the noise; each image gets 0–1 false positives. Values are rounded to 0.01 px.
    """
    if n_instances < 1:
        raise ValueError("n_instances must be >= 1")
    rng = np.random.default_rng(seed)
    tmpl = _template(k)
    images: list[dict] = []
    anns: list[dict] = []
    results: list[dict] = []
    img_id = 0
    while len(anns) < n_instances:
        img_id += 1
        images.append(
            {"id": img_id, "file_name": f"{img_id:012d}.jpg", "width": IMG_W, "height": IMG_H}
        )
        n_persons = min(int(rng.integers(1, 6)), n_instances - len(anns))
        for _ in range(n_persons):
            x, y, w, h = _random_box(rng)
            area = 0.6 * w * h
            jitter = rng.normal(0.0, 0.03, size=tmpl.shape)
            pts = np.array([x, y]) + (tmpl + jitter) * np.array([w, h])
            visible = rng.random(k) < rng.uniform(0.3, 1.0)
            if not visible.any():
                visible[int(rng.integers(k))] = True
            gt_pts = np.where(visible[:, None], pts, 0.0)
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": img_id,
                    "category_id": 1,
                    "bbox": [x, y, w, h],
                    "area": _r(area),
                    "iscrowd": 0,
                    "num_keypoints": int(visible.sum()),
                    "keypoints": _kpts(gt_pts, np.where(visible, 2, 0)),
                }
            )
            if rng.random() < 0.1:  # missed GT
                continue
            frac = rng.uniform(0.005, 0.08)
            det_pts = pts + rng.normal(0.0, frac * np.sqrt(area), size=pts.shape)
            kp_scores = np.round(rng.uniform(0.2, 1.0, size=k), 3)
            score = float(np.clip(1.0 - 8.0 * frac + rng.normal(0.0, 0.1), 0.05, 1.0))
            results.append(
                {
                    "image_id": img_id,
                    "category_id": 1,
                    "keypoints": _kpts(det_pts, kp_scores),
                    "score": round(score, 4),
                }
            )
        for _ in range(int(rng.integers(0, 2))):  # false positive
            x, y, w, h = _random_box(rng)
            fp_pts = np.array([x, y]) + tmpl * np.array([w, h])
            results.append(
                {
                    "image_id": img_id,
                    "category_id": 1,
                    "keypoints": _kpts(fp_pts, np.round(rng.uniform(0.2, 1.0, size=k), 3)),
                    "score": round(float(rng.uniform(0.05, 0.6)), 4),
                }
            )
    sk = skeletons.get("coco") if k == 17 else None
    category: dict[str, Any] = {"id": 1, "name": "person", "supercategory": "person"}
    category["keypoints"] = list(sk.keypoints) if sk is not None and hasattr(sk, "keypoints") else [
        f"kp{i}" for i in range(k)
    ]
    category["skeleton"] = []
    gt = {"images": images, "annotations": anns, "categories": [category]}
    return gt, results


# --------------------------------------------------------------------------- engines


def _sigmas() -> np.ndarray:
    return np.asarray(skeletons.get("coco").sigmas, dtype=np.float64)


def _stats(ev: Any) -> list[float]:
    return [float(v) for v in list(ev.stats)[: len(STAT_NAMES)]]


def _run_posebh(gt: dict, results: list[dict]) -> list[float]:
    metrics = evaluate_oks(gt, results, "coco", engine=DEFAULT_ENGINE)
    return [metrics[name] for name in STAT_NAMES]


def _run_xtcocotools(gt: dict, results: list[dict]) -> list[float]:
    from xtcocotools.coco import COCO
    from xtcocotools.cocoeval import COCOeval

    with _quiet():
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(results)
        ev = COCOeval(coco_gt, coco_dt, "keypoints", sigmas=_sigmas(), use_area=True)
        ev.params.useSegm = None
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return _stats(ev)


def _run_hotcoco(gt: dict, results: list[dict]) -> list[float]:
    import hotcoco

    with _quiet():
        coco_gt = hotcoco.COCO(gt)
        coco_dt = coco_gt.loadRes(results)
        ev = hotcoco.COCOeval(coco_gt, coco_dt, "keypoints")
        ev.params.kpt_oks_sigmas = [float(s) for s in _sigmas()]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return _stats(ev)


def _run_pycocotools(gt: dict, results: list[dict]) -> list[float]:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with _quiet():
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(results)
        ev = COCOeval(coco_gt, coco_dt, "keypoints")
        ev.params.kpt_oks_sigmas = _sigmas()
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return _stats(ev)


def _run_faster_coco_eval(gt: dict, results: list[dict]) -> list[float]:
    from faster_coco_eval import COCO, COCOeval_faster

    with _quiet():
        coco_gt = COCO(gt)
        coco_dt = coco_gt.loadRes(results)
        ev = COCOeval_faster(
            coco_gt,
            coco_dt,
            "keypoints",
            kpt_oks_sigmas=list(_sigmas()),
            print_function=lambda *a: None,
        )
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return _stats(ev)


def _faster_coco_eval_available() -> bool:
    try:
        import faster_coco_eval  # noqa: F401
    except ImportError:
        return False
    return True


def _engines() -> dict[str, Callable[[dict, list[dict]], list[float]] | None]:
    return {
        "posebh": _run_posebh,
        "hotcoco": _run_hotcoco,
        "xtcocotools": _run_xtcocotools,
        "pycocotools": _run_pycocotools,
        "faster-coco-eval": _run_faster_coco_eval if _faster_coco_eval_available() else None,
    }


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """Machine and package versions the timings were taken with."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "processor": platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "xtcocotools": _version("xtcocotools"),
        "pycocotools": _version("pycocotools"),
        "hotcoco": _version("hotcoco"),
        "faster-coco-eval": _version("faster-coco-eval"),
        "posebh": _version("posebh"),
        "utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def run_bench(n_instances: int = 50000, repeats: int = 3, seed: int = 0) -> dict[str, Any]:
    """Time each available engine ``repeats`` times on ``synthetic_keypoint_set(n_instances)``.

    Returns environment info, the data set size, and per engine ``median_s``, ``runs_s``,
    ``ratio_to_xtcocotools`` (median / plain-xtcocotools median; < 1 is faster) and ``max_abs_diff``
    (largest |Δ| of the 10 stats against plain xtcocotools); ``identical`` is True when every
    available engine's stats equal the reference's exactly; ``eval_default_over_xtcocotools``:
    the suite's default engine (``posebh``) over plain xtcocotools.
    """
    if repeats < 1:
        raise ValueError("repeats must be >= 1")
    gt, results = synthetic_keypoint_set(n_instances, seed)
    warm_gt, warm_results = synthetic_keypoint_set(min(n_instances, 200), seed + 1)
    engines = _engines()
    out_engines: dict[str, dict[str, Any]] = {}
    all_stats: dict[str, list[float]] = {}
    for name in ENGINE_ORDER:
        fn = engines[name]
        if fn is None:
            out_engines[name] = {"available": False}
            continue
        fn(copy.deepcopy(warm_gt), copy.deepcopy(warm_results))
        runs: list[float] = []
        for _ in range(repeats):
            g, r = copy.deepcopy(gt), copy.deepcopy(results)
            t0 = time.perf_counter()
            stats = fn(g, r)
            runs.append(time.perf_counter() - t0)
            del g, r
            all_stats.setdefault(name, stats)
        out_engines[name] = {"available": True, "median_s": statistics.median(runs), "runs_s": runs}
    ref = all_stats[REFERENCE]
    ref_median = out_engines[REFERENCE]["median_s"]
    for name, stats in all_stats.items():
        row = out_engines[name]
        row["ratio_to_xtcocotools"] = row["median_s"] / ref_median
        row["max_abs_diff"] = max(abs(a - b) for a, b in zip(stats, ref, strict=True))
        row["stats"] = dict(zip(STAT_NAMES, stats, strict=True))
    return {
        "environment": environment(),
        "n_instances": len(gt["annotations"]),
        "n_images": len(gt["images"]),
        "n_detections": len(results),
        "seed": seed,
        "repeats": repeats,
        "reference": REFERENCE,
        "engines": out_engines,
        "stats": dict(zip(STAT_NAMES, ref, strict=True)),
        "eval_default_over_xtcocotools": {
            "engine": DEFAULT_ENGINE,
            "ratio": out_engines["posebh"]["ratio_to_xtcocotools"],
            "default_seconds": out_engines["posebh"]["median_s"],
            "xtcocotools_seconds": ref_median,
            "max_abs_stat_diff": out_engines["posebh"]["max_abs_diff"],
        },
        "stats_max_abs_diff": max(row.get("max_abs_diff", 0.0) for row in out_engines.values()),
        "identical": all(
            row["max_abs_diff"] == 0.0 for row in out_engines.values() if row["available"]
        ),
    }


def format_bench(res: dict[str, Any]) -> str:
    """A small plain-text table of a :func:`run_bench` result."""
    lines = [
        f"# {res['n_instances']} GT / {res['n_detections']} dets in {res['n_images']} images, "
        f"median of {res['repeats']} (cpus: {res['environment']['usable_cpus']})",
        f"{'engine':<17} {'median s':>9} {'x xtcoco':>9} {'max|d|':>9}  runs s",
    ]
    for name, row in res["engines"].items():
        if not row["available"]:
            lines.append(f"{name:<17} {'n/a (not installed)':>29}")
            continue
        runs = ", ".join(f"{t:.2f}" for t in row["runs_s"])
        lines.append(
            f"{name:<17} {row['median_s']:>9.3f} {row['ratio_to_xtcocotools']:>9.2f} "
            f"{row['max_abs_diff']:>9.1e}  {runs}"
        )
    d = res["eval_default_over_xtcocotools"]
    lines.append(f"suite default ({d['engine']}) / xtcocotools: {d['default_seconds']:.3f} s / "
                 f"{d['xtcocotools_seconds']:.3f} s = {d['ratio']:.3f}, "
                 f"max|d| {d['max_abs_stat_diff']:.1e}")
    lines.append(
        f"AP {res['stats']['AP']:.4f}  AP50 {res['stats']['AP50']:.4f}  "
        f"AR {res['stats']['AR']:.4f}  identical: {res['identical']}"
    )
    return "\n".join(lines)
