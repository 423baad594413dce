"""evaluation.bootstrap: mean ± std over seeds and paired seed x image bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest

from posebh.evaluation.bootstrap import MEAN, BootstrapConfig, image_weights, summarise, verdict
from posebh.evaluation.instances import InstanceScores, metric

CFG = BootstrapConfig(resamples=400)
N = 60  # validation images, one instance each


def ratio(values: np.ndarray, image: np.ndarray | None = None) -> InstanceScores:
    """A metric of 100 · mean(values): one 'labelled joint' per instance with ``values`` hits."""
    values = np.asarray(values, dtype=np.float64)
    img = np.arange(len(values)) if image is None else image
    return InstanceScores("ratio", img, hits=values, labelled=np.ones(len(values)))


def noise(seed: int = 0, n: int = N) -> np.ndarray:
    """Large per-image spread: 0..0.8 (metric noise over images ~3 points)."""
    return np.random.default_rng(seed).uniform(0.0, 0.8, n)


def row(rows: list[dict], variant: str, dataset: str) -> dict:
    return next(r for r in rows if r["variant"] == variant and r["dataset"] == dataset)


def width(r: dict) -> float:
    return r["high"] - r["low"]


def test_a_clearly_higher_variant_is_called_higher():
    base = noise()
    rows = summarise({"control": {0: {"coco": ratio(base)}},
                      "better": {0: {"coco": ratio(base + 0.1)}}}, "control", CFG)
    r = row(rows, "better", "coco")
    assert r["diff"] == pytest.approx(10.0)
    assert r["low"] > 0 and r["paired_seeds"] == 1
    assert verdict(r, "control") == "higher than control"
    worse = row(summarise({"control": {0: {"coco": ratio(base)}},
                           "worse": {0: {"coco": ratio(base - 0.1)}}}, "control", CFG), "worse", "coco")
    assert worse["high"] < 0 and verdict(worse, "control") == "lower than control"
    assert verdict(row(rows, "control", "coco"), "control") == "control"


def test_identical_variants_show_no_difference():
    scores = {"control": {0: {"coco": ratio(noise())}}, "same": {0: {"coco": ratio(noise())}}}
    r = row(summarise(scores, "control", CFG), "same", "coco")
    assert (r["diff"], r["low"], r["high"]) == (0.0, 0.0, 0.0)
    assert verdict(r, "control") == "no detectable difference"


def test_images_pair_across_variants():
    """A constant per-image offset under large image noise: the paired interval is narrow; the
    same offset on unpaired noise (the control's values shuffled) gives a wide one."""
    base = noise()
    shuffled = np.random.default_rng(5).permutation(base)
    rows = summarise({"control": {0: {"coco": ratio(base)}},
                      "paired": {0: {"coco": ratio(base + 0.02)}},
                      "unpaired": {0: {"coco": ratio(shuffled + 0.02)}}}, "control", CFG)
    paired, unpaired, control = (row(rows, v, "coco") for v in ("paired", "unpaired", "control"))
    assert control["boot_std"] > 2.0  # the image noise is large...
    assert width(paired) < 1e-6  # ...and cancels in the paired difference
    assert paired["low"] > 0 and verdict(paired, "control") == "higher than control"
    assert width(unpaired) > 4 * control["boot_std"] / 2  # ~ sqrt(2) x 2 x 1.96 x boot_std
    assert verdict(unpaired, "control") == "no detectable difference"


def test_seed_variation_widens_the_interval():
    """Per-seed offsets +1, +5, -3: image resampling adds nothing; resampling seeds does."""
    base = noise()
    offsets = {0: 0.01, 1: 0.05, 2: -0.03}
    three = {"control": {s: {"coco": ratio(base)} for s in offsets},
             "variant": {s: {"coco": ratio(base + o)} for s, o in offsets.items()}}
    one = {v: {0: by_seed[0]} for v, by_seed in three.items()}
    r3 = row(summarise(three, "control", CFG), "variant", "coco")
    r1 = row(summarise(one, "control", CFG), "variant", "coco")
    assert r3["diff"] == pytest.approx(1.0) and r3["paired_seeds"] == 3 and r3["seeds"] == 3
    assert width(r1) < 1e-6
    assert width(r3) > 2.0
    assert -3.0 - 1e-9 <= r3["low"] and r3["high"] <= 5.0 + 1e-9  # means of seed draws
    per_seed = [metric(ratio(base + o)) for o in offsets.values()]
    assert r3["mean"] == pytest.approx(np.mean(per_seed))
    assert r3["std"] == pytest.approx(np.std(per_seed, ddof=1))
    assert np.isnan(r1["std"])  # one seed: no std


def test_only_seeds_both_ran_are_paired():
    base = noise()
    scores = {"control": {0: {"coco": ratio(base)}, 1: {"coco": ratio(base)}},
              "variant": {1: {"coco": ratio(base + 0.05)}, 2: {"coco": ratio(base - 0.5)}},
              "alone": {3: {"coco": ratio(base)}}}
    rows = summarise(scores, "control", CFG)
    r = row(rows, "variant", "coco")
    assert (r["seeds"], r["paired_seeds"], r["diff"]) == (2, 1, pytest.approx(5.0))
    alone = row(rows, "alone", "coco")
    assert alone["paired_seeds"] == 0 and np.isnan(alone["diff"])
    assert verdict(alone, "control") == "no paired run"


def test_mean_pseudo_dataset():
    a, b = noise(0), noise(1, n=40)
    scores = {"control": {0: {"coco": ratio(a), "mpii": ratio(b)}},
              "variant": {0: {"coco": ratio(a + 0.04), "mpii": ratio(b - 0.02)}},
              "partial": {0: {"coco": ratio(a)}}}
    rows = summarise(scores, "control", CFG)
    m = row(rows, "variant", MEAN)
    assert m["mean"] == pytest.approx((metric(ratio(a + 0.04)) + metric(ratio(b - 0.02))) / 2)
    assert m["diff"] == pytest.approx(1.0)
    assert width(m) < 1e-6  # both datasets' offsets are constant per image
    assert [r["dataset"] for r in rows if r["variant"] == "control"] == ["coco", "mpii", MEAN]
    assert not any(r["variant"] == "partial" and r["dataset"] == MEAN for r in rows)


def test_mismatched_instance_counts_raise():
    scores = {"control": {0: {"coco": ratio(noise())}}, "variant": {0: {"coco": ratio(noise(n=N - 1))}}}
    with pytest.raises(ValueError, match=r"variant seed 0 coco: 59 instances, expected 60"):
        summarise(scores, "control", CFG)


def test_deterministic_and_seeded():
    base = noise()
    scores = {"control": {0: {"coco": ratio(base)}, 1: {"coco": ratio(base)}},
              "variant": {0: {"coco": ratio(noise(3))}, 1: {"coco": ratio(noise(4))}}}
    first = summarise(scores, "control", CFG)
    assert repr(summarise(scores, "control", CFG)) == repr(first)  # bit for bit (NaN included)
    other = summarise(scores, "control", BootstrapConfig(resamples=400, seed=1))
    assert row(other, "variant", "coco")["low"] != row(first, "variant", "coco")["low"]
    assert row(other, "variant", "coco")["diff"] == row(first, "variant", "coco")["diff"]
    narrow = row(summarise(scores, "control", BootstrapConfig(resamples=400, level=0.5)), "variant", "coco")
    assert width(narrow) < width(row(first, "variant", "coco"))


def test_image_weights_resample_units():
    """Each replicate draws the units (images or videos) with replacement; a unit's instances
    share its count."""
    unit = np.array([0, 0, 1, 2, 2, 2])
    w = image_weights(unit, 50, np.random.default_rng(0))
    assert w.shape == (50, 6)
    assert (w[:, 0] == w[:, 1]).all() and (w[:, 3] == w[:, 5]).all()
    np.testing.assert_array_equal(w[:, [0, 2, 3]].sum(1), 3)
    assert len({tuple(r) for r in w}) > 1


def test_videos_are_resampled_whole():
    """Two videos: one all-hit, one all-miss. Resampling videos gives replicates 0, 50 or 100;
    resampling frames would give values in between."""
    hits = np.array([1.0] * 5 + [0.0] * 5)
    video = np.array([0] * 5 + [1] * 5)
    inst = ratio(hits, image=video)
    rows = summarise({"control": {0: {"apt36k": inst}},
                      "variant": {0: {"apt36k": ratio(np.zeros(10), image=video)}}}, "control", CFG)
    r = row(rows, "variant", "apt36k")
    assert {r["low"], r["high"]} <= {-100.0, -50.0, 0.0}
    assert row(rows, "control", "apt36k")["boot_std"] > 30


def test_oks_ap_instances():
    """OKS AP scores: a variant whose every OKS is higher is called higher; the bootstrap std of
    one seed's AP over images is positive."""
    rng = np.random.default_rng(0)
    oks = rng.uniform(0.3, 1.0, N)
    score = rng.uniform(0, 1, N)

    def ap(o: np.ndarray) -> InstanceScores:
        return InstanceScores("oks_ap", np.arange(N), oks=o, score=score,
                              ignored=np.zeros(N, dtype=bool), category=np.ones(N, dtype=np.int64))

    rows = summarise({"control": {0: {"coco": ap(oks)}},
                      "better": {0: {"coco": ap(np.minimum(oks + 0.15, 1.0))}}}, "control", CFG)
    r = row(rows, "better", "coco")
    assert r["diff"] == pytest.approx(metric(ap(np.minimum(oks + 0.15, 1.0))) - metric(ap(oks)))
    assert r["diff"] > 5 and verdict(r, "control") == "higher than control"
    assert row(rows, "control", "coco")["boot_std"] > 0
