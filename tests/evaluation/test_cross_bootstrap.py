"""evaluation.cross_bootstrap: paired intervals of the cross-skeleton matrix's off-diagonal means.

Hand-built hidden truth: two human sources (COCO, AIC) whose images carry all four human
skeletons, one instance per image, and noisy top-down predictions of each head. The reference
for a cell's AP is the suite's evaluator (``evaluation.cross_skeleton.score_head``).
"""

from __future__ import annotations

import numpy as np
import pytest

from posebh import skeletons
from posebh.evaluation.bootstrap import BootstrapConfig, image_weights, keyed_rng
from posebh.evaluation.cross_bootstrap import (
    cell_replicates,
    off_diagonal,
    off_diagonal_intervals,
    parse,
)
from posebh.evaluation.cross_skeleton import cell_instances, score_head, source_units
from posebh.evaluation.instances import InstanceScores, metric, weighted_metric
from posebh.evaluation.oks import WHOLEBODY_PARTS

HEADS = ("coco", "aic", "mpii", "coco_wholebody")
SOURCES = ("coco", "aic")
CFG = BootstrapConfig(resamples=300)
N = 24  # images per source


def truth(n: int = N, seed: int = 0) -> dict[str, dict[str, dict]]:
    """{source: {target: COCO GT}}: same images and boxes for every target of a source."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, dict]] = {}
    for s, source in enumerate(SOURCES):
        ids = [1000 * s + 3 * i + 1 for i in range(n)]  # not 0..n-1: the units index must map
        boxes = [(*rng.uniform(0, 300, 2), *rng.uniform(60, 200, 2)) for _ in ids]
        for t in HEADS:
            k = skeletons.get(t).num_keypoints
            anns = []
            for i, (x, y, w, h) in zip(ids, boxes, strict=True):
                v = np.where(rng.random(k) < 0.8, 2.0, 0.0)
                g = np.stack([rng.uniform(x, x + w, k) * (v > 0), rng.uniform(y, y + h, k) * (v > 0),
                              v], 1)
                ann = {"id": i, "image_id": i, "category_id": 1, "iscrowd": 0,
                       "bbox": [float(x), float(y), float(w), float(h)], "area": float(0.7 * w * h),
                       "head_bbox": [float(x), float(y), float(w / 4), float(h / 5)]}
                if t == "coco_wholebody":
                    start = 0
                    for _, field, _, size in WHOLEBODY_PARTS:
                        ann[field] = [float(z) for z in g[start:start + size].reshape(-1)]
                        start += size
                else:
                    ann["keypoints"] = [float(z) for z in g.reshape(-1)]
                anns.append(ann)
            out.setdefault(source, {})[t] = {
                "images": [{"id": i, "file_name": f"{i}.png", "width": 640, "height": 480}
                           for i in ids],
                "annotations": anns, "categories": [{"id": 1, "name": "person"}]}
    return out


def flat_keypoints(ann: dict, head: str) -> np.ndarray:
    fields = [f for _, f, _, _ in WHOLEBODY_PARTS] if head == "coco_wholebody" else ["keypoints"]
    return np.asarray([v for f in fields for v in ann[f]], dtype=np.float64).reshape(-1, 3)


def predict(gt: dict, head: str, seed: int, scale: np.ndarray | None = None) -> list[dict]:
    """Top-down results: GT + noise whose size varies per image (``scale``: its multiplier)."""
    rng = np.random.default_rng(seed)
    out = []
    for n, a in enumerate(gt["annotations"]):
        g = flat_keypoints(a, head)
        size = np.sqrt(a["bbox"][2] * a["bbox"][3]) * np.exp(rng.uniform(np.log(0.005), np.log(0.2)))
        size *= 1.0 if scale is None else scale[n]
        d = np.stack([g[:, 0] + rng.normal(0, size, len(g)), g[:, 1] + rng.normal(0, size, len(g)),
                      rng.uniform(0.2, 1.0, len(g))], 1)
        score = float(np.round(rng.uniform(0.3, 1.0), 1))
        out.append({"image_id": a["image_id"], "category_id": 1, "ann_id": a["id"], "score": score,
                    "wholebody_score": score, "keypoints": [float(z) for z in d.reshape(-1)]})
    return out


def model(hidden: dict, seed: int, scale: np.ndarray | None = None
          ) -> tuple[dict[str, dict[str, InstanceScores]], dict[str, dict[str, float]]]:
    """(cells {head: {source: scores}}, the evaluator's AP x100 of each cell)."""
    cells: dict[str, dict[str, InstanceScores]] = {}
    aps: dict[str, dict[str, float]] = {}
    for s, targets in hidden.items():
        units = source_units(targets.values())
        for h, gt in targets.items():
            res = predict(gt, h, seed + 7 * HEADS.index(h) + 100 * SOURCES.index(s), scale)
            cells.setdefault(h, {})[s] = cell_instances(gt, res, h, units)
            aps.setdefault(h, {})[s] = 100 * score_head(gt, res, h)["AP"]
    return cells, aps


@pytest.fixture(scope="module")
def hidden() -> dict:
    return truth()


@pytest.fixture(scope="module")
def pair(hidden) -> tuple[dict, dict, dict]:
    """(cells of models a and b, units, the evaluator's cell APs): b is a's predictions with
    smaller noise on every other image (so a and b are correlated image by image)."""
    a, ap_a = model(hidden, 0)
    better = np.where(np.arange(N) % 2 == 0, 0.6, 1.0)
    b, ap_b = model(hidden, 0, better)
    return {"a": a, "b": b}, {s: N for s in SOURCES}, {"a": ap_a, "b": ap_b}


def test_unit_weights_equal_the_evaluators_cell_ap(pair):
    cells, _, aps = pair
    for m, heads in cells.items():
        for h, sources in heads.items():
            for s, inst in sources.items():
                assert 0 < aps[m][h][s] < 100, (m, h, s)  # not a degenerate cell
                assert metric(inst) == pytest.approx(aps[m][h][s], abs=1e-9), (m, h, s)
                ones = np.ones((2, len(inst.image)))
                assert weighted_metric(inst, ones) == pytest.approx([aps[m][h][s]] * 2, abs=1e-9)


def test_units_index_the_sources_images_for_every_head(hidden, pair):
    cells, _, _ = pair
    for s in SOURCES:
        units = source_units(hidden[s].values())
        assert units == sorted(im["id"] for im in hidden[s]["coco"]["images"])
        for h in HEADS:
            assert cells["a"][h][s].image.tolist() == list(range(N))
    gt = hidden["aic"]["coco"]
    with pytest.raises(ValueError, match="^coco: resampling units"):
        cell_instances(gt, predict(gt, "coco", 0), "coco", units[:-1])


def test_point_estimates_are_the_mean_of_the_off_diagonal_cells(pair):
    cells, units, aps = pair
    rows = {r["model"]: r for r in off_diagonal_intervals(cells, units, "a", "b", CFG)}
    off = {m: [aps[m][h][s] for h in HEADS for s in SOURCES if h != s] for m in ("a", "b")}
    assert len(off["a"]) == 6 == rows["a"]["cells"] == rows["b − a"]["cells"]
    assert rows["a"]["mean"] == pytest.approx(np.mean(off["a"]), abs=1e-9)
    assert rows["b − a"]["mean"] == pytest.approx(np.mean(off["b"]) - np.mean(off["a"]), abs=1e-9)
    for r in rows.values():
        assert r["low"] <= r["mean"] <= r["high"] and r["low"] < r["high"], r
    assert rows["b − a"]["low"] > 0  # less noise on half the images: called higher


def test_the_interval_is_deterministic_and_keyed_by_the_seed(pair):
    cells, units, _ = pair
    first = off_diagonal_intervals(cells, units, "a", "b", CFG)
    assert off_diagonal_intervals(cells, units, "a", "b", CFG) == first
    other = off_diagonal_intervals(cells, units, "a", "b", BootstrapConfig(300, 0.95, seed=1))
    assert [r["mean"] for r in other] == [r["mean"] for r in first]
    assert [r["low"] for r in other] != [r["low"] for r in first]


def test_identical_models_pair_to_a_zero_width_interval(pair):
    """Fails if each model drew its own images: the difference would then vary."""
    cells, units, _ = pair
    rows = off_diagonal_intervals({"a": cells["a"], "b": cells["a"]}, units, "a", "b", CFG)
    diff = next(r for r in rows if r["model"] == "b − a")
    assert (diff["mean"], diff["low"], diff["high"]) == (0.0, 0.0, 0.0)


def test_pairing_narrows_the_interval_against_independent_draws(pair):
    """The same correlated pair, bootstrapped with an independent image draw per model: wider."""
    cells, units, _ = pair
    diff = next(r for r in off_diagonal_intervals(cells, units, "a", "b", CFG)
                if r["model"] == "b − a")
    off = off_diagonal(cells)
    reps = {}
    for m in ("a", "b"):
        w = {s: image_weights(np.arange(N), CFG.resamples, keyed_rng(CFG, "unpaired", m, s))
             for s in SOURCES}
        reps[m] = np.mean([weighted_metric(i, w[s][:, i.image]) for (_, s), i in off[m].items()], 0)
    unpaired = np.percentile(reps["b"] - reps["a"], [2.5, 97.5])
    assert diff["high"] - diff["low"] < 0.5 * (unpaired[1] - unpaired[0])


def test_heads_on_one_source_share_its_draw(pair):
    cells, units, _ = pair
    twin = {"a": {"coco": {"aic": cells["a"]["coco"]["aic"]},
                  "mpii": {"aic": cells["a"]["coco"]["aic"], "coco": cells["a"]["coco"]["aic"]}}}
    reps = cell_replicates(twin, units, CFG)["a"]
    np.testing.assert_array_equal(reps[("coco", "aic")], reps[("mpii", "aic")])
    assert not np.array_equal(reps[("mpii", "aic")], reps[("mpii", "coco")])  # another source
    assert ("coco", "coco") not in cell_replicates(
        {"a": {"coco": {"coco": cells["a"]["coco"]["coco"]}}}, units, CFG).get("a", {})


def test_parse_round_trips_the_stored_form_and_rejects_foreign_units(pair):
    cells, units, _ = pair
    stored = {"units": units, "cells": {m: {h: {s: i.to_dict() for s, i in by_s.items()}
                                            for h, by_s in heads.items()}
                                        for m, heads in cells.items()}}
    back, n = parse(stored)
    assert n == units and off_diagonal_intervals(back, n, "a", "b", CFG) == \
        off_diagonal_intervals(cells, units, "a", "b", CFG)
    assert parse({}) == ({}, {})
    with pytest.raises(ValueError, match=r"^a coco@aic: its units"):
        cell_replicates({"a": {"coco": {"aic": cells["a"]["coco"]["aic"]}}}, {"aic": 3}, CFG)
    rows = off_diagonal_intervals({"b": cells["b"]}, units, "a", "b", CFG)
    assert [r["model"] for r in rows] == ["b"]  # no control, no difference row
