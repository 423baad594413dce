"""CAPE metrics from query scores: overall = mean of split means, episode spread, paired bootstrap."""

import numpy as np
import pytest

from posebh.evaluation.bootstrap import BootstrapConfig
from posebh.evaluation.cape_pck import CapeResult
from posebh.evaluation.cape_summary import episode_overall, matcher_metrics, paired_difference


def result(scores: dict[str, np.ndarray]) -> CapeResult:
    return CapeResult(shots=1, query_scores=scores,
                      keypoint_counts={c: (int(s.sum()), s.size) for c, s in scores.items()})


def splits(rng: np.random.Generator, shift: float = 0.0, e: int = 30) -> dict[str, CapeResult]:
    return {"split1": result({"a": np.clip(rng.uniform(0, 1, (e, 5)) + shift, 0, 1),
                              "b": np.clip(rng.uniform(0, 1, (e, 5)) + shift, 0, 1)}),
            "split2": result({"c": np.clip(rng.uniform(0, 1, (e, 5)) + shift, 0, 1)})}


def test_overall_is_the_mean_of_split_means_and_std_is_over_episodes():
    res = splits(np.random.default_rng(0))
    m = matcher_metrics(res)
    assert m["mean"] == pytest.approx(np.mean([res["split1"].mean, res["split2"].mean]))
    per_episode = episode_overall(res)
    assert per_episode.shape == (30,) and m["mean"] == pytest.approx(per_episode.mean())
    assert m["episode_std"] == pytest.approx(per_episode.std())
    assert m["per_split_std"]["split1"] == res["split1"].episode_std
    assert m["per_category"]["split1"]["b"] == res["split1"].per_category["b"]


def test_paired_difference_interval():
    a = splits(np.random.default_rng(0))
    same = paired_difference(a, a, BootstrapConfig(200))
    assert same["diff"] == same["low"] == same["high"] == 0.0 and not same["excludes_zero"]
    better = splits(np.random.default_rng(0), shift=0.2)
    d = paired_difference(better, a, BootstrapConfig(200), key="x")
    assert d["diff"] > 0 and d["low"] > 0 and d["excludes_zero"]
    assert d == paired_difference(better, a, BootstrapConfig(200), key="x")  # seeded
    reordered = {n: result({c: s[::-1] for c, s in r.query_scores.items()}) for n, r in a.items()}
    noise = paired_difference(reordered, a, BootstrapConfig(200))  # same mean, other episodes
    assert noise["diff"] == pytest.approx(0.0, abs=1e-9)
    assert noise["low"] < 0 < noise["high"] and not noise["excludes_zero"]


def test_a_shorter_run_pairs_on_the_common_prefix():
    rng = np.random.default_rng(0)
    long, short = splits(rng, e=30), splits(rng, e=10)
    d = paired_difference(long, short, BootstrapConfig(100))
    assert d["episodes"] == 10
    assert d["diff"] == pytest.approx((episode_overall(long, 10) - episode_overall(short)).mean())
    with pytest.raises(ValueError, match="different splits"):
        paired_difference(long, {"split1": long["split1"]})
