"""Report charts: per-dataset bars with seed error bars, loss per term, GT overlays, markers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from reportkit import BASELINE, POSEBH, val_and_predictions

from posebh import skeletons
from posebh.reporting import bars, figures, loss_charts, overlays, tsne

SEEDS = pd.DataFrame([  # the seeds_section.seeds_table columns the bars read
    {"variant": "posebh", "label": "COCO AP", "seeds": 3, "mean": 51.0, "std": 0.5},
    {"variant": "baseline", "label": "COCO AP", "seeds": 1, "mean": 50.0, "std": float("nan")},
])


def test_dataset_metrics_are_the_per_dataset_headlines():
    labels = bars.dataset_metrics()
    assert labels["COCO AP"] == "coco_ap" and labels["MPII PCKh"] == "mpii_pckh"
    assert "Mean of the six" not in labels  # an average, not a dataset
    assert len(labels) == len(skeletons.SOURCES)


def test_bar_values_take_seed_mean_and_std_where_seeds_exist():
    v = bars.bar_values({"baseline": BASELINE, "posebh": POSEBH}, SEEDS).set_index(["label", "variant"])
    assert v.loc[("COCO AP", "posebh"), "value"] == 51.0  # seed mean, not this run's 52
    assert v.loc[("COCO AP", "posebh"), "std"] == 0.5 and v.loc[("COCO AP", "posebh"), "runs"] == 3
    assert v.loc[("COCO AP", "baseline"), "value"] == pytest.approx(50.0)  # one seed: this run
    assert math.isnan(v.loc[("COCO AP", "baseline"), "std"])
    assert v.loc[("MPII PCKh", "posebh"), "value"] == 90.0 and v.loc[("MPII PCKh", "posebh"), "runs"] == 1
    assert bars.bar_values({"x": {}}).empty


def test_bar_figure_draws_error_bars_only_for_seeded_variants():
    values = bars.bar_values({"baseline": BASELINE, "posebh": POSEBH}, SEEDS)
    fig = bars.bar_figure(values)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == list(bars.dataset_metrics())
    coco = [c for c in panels[0].containers if isinstance(c, BarContainer)]
    assert [c.errorbar is not None for c in coco] == [False, True]  # baseline, posebh
    assert [c.patches[0].get_hatch() for c in coco] == ["", "//"]  # not colour alone
    reordered = [ax.get_xticklabels() for ax in bars.bar_figure(values, order=["posebh"]).axes[:1]]
    assert [t.get_text() for t in reordered[0]] == ["posebh", "baseline"]
    text = bars.caption(values)
    assert "posebh: mean over 3 seeds" in text and "baseline: one run, so no error bar" in text


HIST = {"baseline": [{"epoch": 0, "loss": 0.01, "loss_coco": 0.01}, {"epoch": 1, "loss": 0.005}],
        "posebh": [{"epoch": 0, "loss": 1e-6, "phm": 1e-7, "phase": 1},
                   {"epoch": 1, "loss": 0.004, "loss_coco": 0.004, "phm": 8e-8, "phase": 2}],
        "baseline_ft": [{"epoch": 0, "loss": 0.0, "phm": 0.0, "phase": 1}]}


def test_loss_terms_in_panel_order_and_series_flags_phase_one():
    assert loss_charts.loss_terms(HIST) == ["loss", "loss_coco", "phm"]
    assert loss_charts.series(HIST["posebh"], "loss_coco") == ([2], [0.004], [False])
    assert loss_charts.series(HIST["posebh"], "phm") == ([1, 2], [1e-7, 8e-8], [True, False])


def test_loss_figure_linear_from_zero_with_a_marker_per_variant():
    fig = loss_charts.loss_figure(HIST, faint={"baseline_ft"})
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [loss_charts.TERMS[t] for t in ("loss", "loss_coco", "phm")]
    assert all(ax.get_yscale() == "linear" and ax.get_ylim()[0] <= 0 for ax in panels)
    total = panels[0]
    assert len(total.lines) == 3  # baseline, posebh, faint baseline_ft (its 0 is drawn, not dropped)
    shapes = {tuple(c.get_paths()[0].vertices.round(3).ravel()) for c in total.collections}
    assert len(shapes) == 2  # baseline and posebh markers differ in shape
    sizes = sorted({float(c.get_sizes()[0]) for c in total.collections})
    assert len(sizes) == 2  # later variants smaller: equal values show as nested markers
    hollow = [c for c in total.collections if np.allclose(c.get_facecolors()[0], (1, 1, 1, 1))]
    assert len(hollow) == 1  # posebh's phase-1 epoch
    assert "linear" in loss_charts.caption(HIST)


def test_series_markers_cycle():
    assert figures.marker(0) != figures.marker(1)
    assert figures.marker(len(figures.SERIES_MARKERS)) == figures.marker(0)


def test_gt_results_mark_labelled_keypoints(tmp_path):
    val, _ = val_and_predictions(tmp_path)
    coco = val["coco"]
    kp = [v for j in range(17) for v in (5.0 + j, 6.0 + j, 2 if j < 5 else 0)]
    coco["annotations"] = [{"id": 1, "image_id": 1, "keypoints": kp, "category_id": 1}]
    res = overlays.gt_results(coco, 1, "coco")
    assert len(res) == 1 and res[0]["keypoints"][2] == 1.0 and res[0]["keypoints"][5 * 3 + 2] == 0.0
    assert overlays.gt_results(coco, 2, "coco") == []
    fig = overlays.overlay_figure("coco", coco, {"baseline": [], "posebh": None}, n_images=1)
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == [overlays.GT, "baseline", "posebh"]
    gt_edges = [e for e in skeletons.get("coco").edges if max(e) < 5]
    assert len(axes[0].lines) == len(gt_edges) and not axes[1].lines  # GT drawn, no prediction


def test_tsne_groups_differ_by_marker_and_named_parts():
    labels = [("coco", "nose"), ("coco", "left_knee"), ("pw3d", "jaw")]
    xy = np.array([[0.0, 0.0], [5.0, 5.0], [0.2, 0.1]])
    fig = tsne.tsne_figure(xy, labels, pd.DataFrame(columns=tsne.NEIGHBOUR_COLUMNS))
    shapes = {tuple(c.get_paths()[0].vertices.round(3).ravel()) for c in fig.axes[0].collections}
    assert len(shapes) == 2  # one marker per dataset
    parts = np.array(tsne.point_parts(labels))
    anchors = tsne.part_anchors(xy, parts, np.array([False, False, True]))
    assert anchors == {"head": (0.0, 0.0), "legs": (5.0, 5.0)}  # the unused jaw is not an anchor
