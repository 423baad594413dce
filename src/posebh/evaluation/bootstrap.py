"""Seeds x validation images: mean ± std per variant and paired differences with intervals.

A difference between a variant and the control is estimated per seed (same seed = same data
order and augmentation stream, so seeds pair) and averaged over the seeds both ran. Its interval
is a two-level percentile bootstrap: each replicate draws the seeds with replacement (shared by
every dataset) and, independently per dataset, the validation images with replacement (shared by
every variant and seed, so images pair). With one common seed the interval covers image sampling
only; the report says so. Metrics are recomputed per replicate from instance scores
(:mod:`posebh.evaluation.instances`), so 1000 replicates cost well under a second per model.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from posebh.evaluation.instances import InstanceScores, metric, weighted_metric

Scores = Mapping[str, Mapping[int, Mapping[str, InstanceScores]]]  # variant -> seed -> dataset
MEAN = "mean"  # pseudo-dataset: the unweighted mean over the datasets every variant has


@dataclass(frozen=True)
class BootstrapConfig:
    resamples: int = 1000
    level: float = 0.95
    seed: int = 0


def image_weights(image: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Instance weights (R, N): each replicate draws the images with replacement."""
    n = int(image.max()) + 1 if image.size else 0
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples) if n else np.zeros((resamples, 0))
    return counts[:, image].astype(np.float64)


def keyed_rng(cfg: BootstrapConfig, *keys: str) -> np.random.Generator:
    """A generator seeded by ``cfg.seed`` and the names ``keys`` (same names, same draws)."""
    return np.random.default_rng([cfg.seed, *(zlib.crc32(k.encode()) for k in keys)])


def _replicates(scores: Scores, datasets: list[str], cfg: BootstrapConfig
                ) -> dict[str, dict[int, dict[str, np.ndarray]]]:
    """variant -> seed -> dataset -> metric per replicate (R,), images shared per dataset."""
    out: dict[str, dict[int, dict[str, np.ndarray]]] = {}
    for d in datasets:
        first = next(s[d] for v in scores.values() for s in v.values() if d in s)
        w = image_weights(first.image, cfg.resamples, keyed_rng(cfg, "images", d))
        for v, by_seed in scores.items():
            for s, by_ds in by_seed.items():
                if d in by_ds:
                    if len(by_ds[d].image) != len(first.image):
                        raise ValueError(f"{v} seed {s} {d}: {len(by_ds[d].image)} instances, "
                                         f"expected {len(first.image)} (another val set?)")
                    out.setdefault(v, {}).setdefault(s, {})[d] = weighted_metric(by_ds[d], w)
    return out


def _with_mean(values: dict[str, np.ndarray | float], datasets: list[str]) -> dict:
    present = [values[d] for d in datasets if d in values]
    return {**values, MEAN: sum(present) / len(present)} if len(present) == len(datasets) else values


def summarise(scores: Scores, control: str, cfg: BootstrapConfig = BootstrapConfig()) -> list[dict]:
    """One row per (variant, dataset incl. MEAN): seeds, mean, std over seeds, the image-bootstrap
    std of one seed's metric, and the paired difference to ``control`` with its interval."""
    datasets = sorted({d for v in scores.values() for s in v.values() for d in s})
    point = {v: {s: _with_mean({d: metric(i) for d, i in ds.items()}, datasets)
                 for s, ds in by_seed.items()} for v, by_seed in scores.items()}
    reps = {v: {s: _with_mean(ds, datasets) for s, ds in by_seed.items()}
            for v, by_seed in _replicates(scores, datasets, cfg).items()}
    lo_q, hi_q = 50 * (1 - cfg.level), 50 * (1 + cfg.level)
    rows = []
    for v in scores:
        for d in [*datasets, MEAN]:
            seeds = sorted(s for s in point[v] if d in point[v][s])
            if not seeds:
                continue
            vals = np.array([point[v][s][d] for s in seeds])
            row = {"variant": v, "dataset": d, "seeds": len(seeds), "mean": float(vals.mean()),
                   "std": float(vals.std(ddof=1)) if len(seeds) > 1 else float("nan"),
                   "boot_std": float(np.median([reps[v][s][d].std(ddof=1) for s in seeds])),
                   "diff": float("nan"), "low": float("nan"), "high": float("nan"),
                   "paired_seeds": 0}
            common = [s for s in seeds if d in point.get(control, {}).get(s, {})]
            if v != control and common:
                diffs = np.stack([reps[v][s][d] - reps[control][s][d] for s in common])  # (S, R)
                pick = keyed_rng(cfg, "seeds", str(len(common))).integers(
                    0, len(common), size=(cfg.resamples, len(common)))
                boot = diffs[pick, np.arange(cfg.resamples)[:, None]].mean(1)  # (R,)
                row.update(diff=float(np.mean([point[v][s][d] - point[control][s][d]
                                               for s in common])),
                           low=float(np.percentile(boot, lo_q)),
                           high=float(np.percentile(boot, hi_q)), paired_seeds=len(common))
            rows.append(row)
    return rows


def verdict(row: Mapping[str, float], control: str) -> str:
    """Words for one row: a difference is called only when its interval excludes 0."""
    if row["variant"] == control:
        return "control"
    if not row.get("paired_seeds"):
        return "no paired run"
    return direction(row["low"], row["high"], control)


def direction(low: float, high: float, control: str) -> str:
    """Words for an interval of a difference to ``control``: called only when it excludes 0."""
    if low > 0:
        return f"higher than {control}"
    if high < 0:
        return f"lower than {control}"
    return "no detectable difference"
