"""Intervals for the cross-skeleton matrix's off-diagonal means, paired over val images.

A cell (head d on source s's val images) has per-instance scores of its OKS AP whose units index
s's images (``evaluation.cross_skeleton.cell_instances``). Each bootstrap replicate draws, per
source, its units with replacement, once (``bootstrap.image_weights`` with a generator keyed by
the source's name): the same draw reweights every head on that source and every model, so the
models pair image by image. A replicate's off-diagonal mean is the mean over the off-diagonal
cells of the cell AP recomputed under those weights (``instances.weighted_metric``); the
difference of two models is that mean over the off-diagonal cells both have. Intervals are
percentile intervals over the replicates (settings: ``bootstrap.BootstrapConfig``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from posebh.evaluation.bootstrap import BootstrapConfig, image_weights, keyed_rng
from posebh.evaluation.instances import InstanceScores, metric, weighted_metric

Cells = Mapping[str, Mapping[str, Mapping[str, InstanceScores]]]  # model -> head -> source
Cell = tuple[str, str]  # (head, source)


def parse(stored: Mapping) -> tuple[dict[str, dict[str, dict[str, InstanceScores]]], dict[str, int]]:
    """What the stage stores ({units: {source: n}, cells: {model: {head: {source: dict}}}}) ->
    (cells as ``InstanceScores``, units per source)."""
    cells = {m: {h: {s: InstanceScores.from_dict(x) for s, x in sources.items()}
                 for h, sources in heads.items()} for m, heads in stored.get("cells", {}).items()}
    return cells, {s: int(n) for s, n in stored.get("units", {}).items()}


def off_diagonal(cells: Cells) -> dict[str, dict[Cell, InstanceScores]]:
    """model -> {(head, source): scores} of the cells with head != source."""
    return {m: {(h, s): inst for h, sources in heads.items() for s, inst in sources.items() if h != s}
            for m, heads in cells.items()}


def source_weights(units: Mapping[str, int], cfg: BootstrapConfig) -> dict[str, np.ndarray]:
    """source -> unit weights (R, n_units): one draw per source, keyed by its name."""
    return {s: image_weights(np.arange(n), cfg.resamples, keyed_rng(cfg, "cross_skeleton", s))
            for s, n in units.items()}


def cell_replicates(cells: Cells, units: Mapping[str, int], cfg: BootstrapConfig
                    ) -> dict[str, dict[Cell, np.ndarray]]:
    """model -> (head, source) -> off-diagonal cell AP x100 per replicate (R,)."""
    weights = source_weights(units, cfg)
    out: dict[str, dict[Cell, np.ndarray]] = {}
    for m, by_cell in off_diagonal(cells).items():
        for (h, s), inst in by_cell.items():
            if s not in weights or (inst.image.size and inst.image.max() >= units[s]):
                raise ValueError(f"{m} {h}@{s}: its units are not among the {units.get(s, 0)} "
                                 f"units stored for source {s}")
            out.setdefault(m, {})[(h, s)] = weighted_metric(inst, weights[s][:, inst.image])
    return out


def _row(model: str, points: list[float], reps: list[np.ndarray], cfg: BootstrapConfig) -> dict:
    boot = np.mean(reps, axis=0)  # (R,)
    return {"model": model, "cells": len(points), "mean": float(np.mean(points)),
            "low": float(np.percentile(boot, 50 * (1 - cfg.level))),
            "high": float(np.percentile(boot, 50 * (1 + cfg.level)))}


def off_diagonal_intervals(cells: Cells, units: Mapping[str, int], control: str, headline: str,
                           cfg: BootstrapConfig = BootstrapConfig()) -> list[dict]:
    """Rows {model, cells, mean, low, high} in AP points: each model's mean over its off-diagonal
    cells, then ``headline − control`` over the off-diagonal cells both have (when both ran)."""
    return off_diagonal_pairs(cells, units, [(headline, control)], cfg)


def off_diagonal_pairs(cells: Cells, units: Mapping[str, int],
                       pairs: Sequence[tuple[str, str]], cfg: BootstrapConfig = BootstrapConfig()
                       ) -> list[dict]:
    """``off_diagonal_intervals`` for several (headline, control) pairs on one set of replicates:
    every model's row, then ``headline − control`` for each pair where both ran."""
    off = off_diagonal(cells)
    reps = cell_replicates(cells, units, cfg)
    rows = [_row(m, [metric(i) for i in by_cell.values()], list(reps[m].values()), cfg)
            for m, by_cell in off.items() if by_cell]
    for headline, control in pairs:
        if control not in off or headline not in off or headline == control:
            continue
        common = [c for c in off[headline] if c in off[control]]
        for c in common:
            if len(off[headline][c].image) != len(off[control][c].image):
                raise ValueError(f"{headline} vs {control} {c[0]}@{c[1]}: different instance "
                                 "counts (another val set?)")
        if common:
            rows.append(_row(f"{headline} − {control}",
                             [metric(off[headline][c]) - metric(off[control][c]) for c in common],
                             [reps[headline][c] - reps[control][c] for c in common], cfg))
    return rows
