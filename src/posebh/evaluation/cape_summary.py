"""CAPE results -> metrics: overall / per split / per category PCK@0.2, the spread over episodes,
and paired matcher differences with a percentile bootstrap over episodes.

Episode e of a category is the same draw (supports and queries) for every matcher evaluated with
the same seed, shots and query count (``cape_episodes.category_rng``), and a run with fewer
episodes sees a prefix of a longer run's (one generator, drawn in order). So two matchers pair
episode by episode on their common prefix. The unit of the bootstrap is the episode index: a
replicate draws E indices with replacement, the same for every category and split, and averages
the paired per-episode differences of the overall PCK (the mean over splits of the mean over
categories of episode e's PCK). The overall mean is the mean of the split means (POMNet's "Mean").

Everything is in percent; the keys avoid the names ``evaluation.units`` rescales (``PCK@``...),
so a metrics file reads the same in memory and on disk.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from posebh.evaluation.bootstrap import BootstrapConfig, keyed_rng
from posebh.evaluation.cape_pck import CapeResult


def episode_overall(results: Mapping[str, CapeResult], episodes: int | None = None) -> np.ndarray:
    """(E,) overall PCK of each episode (first ``episodes`` only, when given), percent."""
    per_split = []
    for name, r in sorted(results.items()):
        cats = np.stack(list(r.episode_pck.values()))  # (categories, E)
        per_split.append(cats[:, :episodes].mean(axis=0))
    lengths = {len(p) for p in per_split}
    if len(lengths) != 1:
        raise ValueError(f"splits with different episode counts {sorted(lengths)}")
    return np.mean(np.stack(per_split), axis=0)


def matcher_metrics(results: Mapping[str, CapeResult]) -> dict:
    """One matcher at one shot count over its splits: mean (of split means), std over episodes,
    per split mean and std, per category PCK, the paper's pooled (micro) overall as a flag."""
    if not results:
        raise ValueError("no split results to summarise")
    overall = episode_overall(results)
    return {
        "mean": float(np.mean([r.mean for r in results.values()])),
        "episode_std": float(np.std(overall)),
        "episodes": len(overall),
        "per_split": {s: r.mean for s, r in sorted(results.items())},
        "per_split_std": {s: r.episode_std for s, r in sorted(results.items())},
        "per_category": {s: r.per_category for s, r in sorted(results.items())},
        "micro_mean": float(np.mean([np.mean(list(r.micro.values()))
                                     for r in results.values()])),
    }


def episode_scores(results: Mapping[str, CapeResult]) -> dict[str, dict[str, list[float]]]:
    """split -> category -> (E,) per-episode PCK (percent), for the stored per-episode scores."""
    return {s: {c: [float(x) for x in v] for c, v in r.episode_pck.items()}
            for s, r in sorted(results.items())}


def paired_difference(a: Mapping[str, CapeResult], b: Mapping[str, CapeResult],
                      cfg: BootstrapConfig | None = None, key: str = "") -> dict:
    """Overall PCK of ``a`` minus ``b`` on their common episodes, with the percentile interval of
    ``cfg`` (default ``BootstrapConfig()``; replicates keyed by ``key``) and whether it
    excludes 0."""
    cfg = cfg or BootstrapConfig()
    if sorted(a) != sorted(b):
        raise ValueError(f"the matchers ran on different splits: {sorted(a)} and {sorted(b)}")
    e = min(len(episode_overall(a)), len(episode_overall(b)))
    d = episode_overall(a, e) - episode_overall(b, e)  # (E,) paired
    pick = keyed_rng(cfg, "cape", key).integers(0, e, size=(cfg.resamples, e))
    boot = d[pick].mean(axis=1)  # (R,)
    lo, hi = np.percentile(boot, [50 * (1 - cfg.level), 50 * (1 + cfg.level)])
    return {"diff": float(d.mean()), "low": float(lo), "high": float(hi), "episodes": int(e),
            "resamples": cfg.resamples, "level": cfg.level,
            "excludes_zero": bool(lo > 0 or hi < 0)}
