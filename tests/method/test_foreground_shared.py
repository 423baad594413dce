"""Foreground pixels with ties shared (method.fg_shared): every labelled WholeBody keypoint gets pixels.

At the 32x24 heatmap, MSRA targets centre each Gaussian on an integer pixel, so dense face and hand
points often have identical heatmaps; the arg-max rule gives all their pixels to the lowest index.
"""

from __future__ import annotations

import numpy as np
import torch

from posebh.data import synthetic
from posebh.data.dataset import TopDownDataset
from posebh.data.targets import generate_target
from posebh.method.global_pixels import KeypointIndex, foreground_all
from posebh.method.prototype_learning import foreground_pixels

THRESHOLD = 0.1  # conf/base method.fg_threshold


def _wholebody_targets(tmp_path, n: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, 133, 32, 24) training targets and (n, 133) weights of rendered, augmented crops."""
    gt = synthetic.render_split("coco_wholebody", n, seed=0, image_dir=tmp_path)
    ds = TopDownDataset(gt, tmp_path, "coco_wholebody", 5, train=True, seed=0)
    targets, weights = [], []
    for i in range(len(ds)):
        g = ds.geometry(i, epoch=0)
        t, w = generate_target(g.joints, g.visible, ds.input_size, ds.heatmap_size, sigma=2.0,
                               udp=ds.udp, drop_outside=True)
        targets.append(t)
        weights.append(w)
    return torch.from_numpy(np.stack(targets)), torch.from_numpy(np.stack(weights))


def _pixels_per_keypoint(cls: torch.Tensor, k: int) -> np.ndarray:
    return np.bincount(cls.numpy(), minlength=k)


def test_every_labelled_wholebody_keypoint_gets_pixels(tmp_path):
    target, weight = _wholebody_targets(tmp_path)
    emb = torch.zeros(1, 2, 32, 24)
    missing_argmax = 0
    for t, w in zip(target, weight):
        labelled = w.numpy() > 0
        shared = foreground_pixels(emb, t[None], w[None], THRESHOLD, shared=True)
        assert (_pixels_per_keypoint(shared.cls, 133)[labelled] > 0).all()
        argmax = foreground_pixels(emb, t[None], w[None], THRESHOLD)
        missing_argmax += int((_pixels_per_keypoint(argmax.cls, 133)[labelled] == 0).sum())
    assert missing_argmax > 0  # the arg-max rule leaves tied keypoints without a pixel


def test_shared_equals_argmax_without_ties():
    g = torch.Generator().manual_seed(0)
    target = torch.rand(2, 5, 6, 4, generator=g)  # continuous values: no ties
    weight = torch.tensor([[1.0, 1, 0, 1, 1], [1, 1, 1, 1, 0]])
    emb = torch.randn(2, 3, 6, 4, generator=g)
    a = foreground_pixels(emb, target, weight, 0.3)
    b = foreground_pixels(emb, target, weight, 0.3, shared=True)
    assert torch.equal(a.cls, b.cls) and torch.equal(a.emb, b.emb) and torch.equal(a.conf, b.conf)


def test_shared_tie_gives_both_keypoints_the_pixel():
    target = torch.zeros(1, 3, 2, 2)
    target[0, 0, 0, 0] = target[0, 2, 0, 0] = 0.9  # keypoints 0 and 2 tie at (0, 0)
    target[0, 1, 1, 1] = 0.5
    emb = torch.arange(4.0).view(1, 1, 2, 2)
    px = foreground_pixels(emb, target, torch.ones(1, 3), 0.1, shared=True)
    assert px.cls.tolist() == [0, 2, 1]
    assert px.emb[:, 0].tolist() == [0.0, 0.0, 3.0]
    assert torch.allclose(px.conf, torch.tensor([0.9, 0.9, 0.5]))


def test_foreground_all_shared_matches_per_dataset_path(tmp_path):
    wb_t, wb_w = _wholebody_targets(tmp_path, n=2)
    g = torch.Generator().manual_seed(1)
    small_t = torch.zeros(2, 133, 32, 24)
    small_t[:, :4] = (torch.rand(2, 4, 32, 24, generator=g) * 4).round() / 4  # ties on purpose
    small_w = torch.zeros(2, 133)
    small_w[:, :4] = 1.0
    target, weight = torch.cat([small_t, wb_t]), torch.cat([small_w, wb_w])
    didx = torch.tensor([0, 0, 1, 1])
    emb = torch.randn(4, 3, 32, 24, generator=g)
    index = KeypointIndex.build([4, 133], torch.device("cpu"))
    px = foreground_all(emb, target, weight, didx, index, THRESHOLD, shared=True)
    ref = [foreground_pixels(emb[r], target[r, :k], weight[r, :k], THRESHOLD, shared=True)
           for r, k in ((slice(0, 2), 4), (slice(2, 4), 133))]
    assert torch.equal(px.emb, torch.cat([ref[0].emb, ref[1].emb]))
    assert torch.equal(px.cls, torch.cat([ref[0].cls, ref[1].cls + 4]))
    assert torch.equal(px.conf, torch.cat([ref[0].conf, ref[1].conf]))
    assert px.bounds == [0, len(ref[0].cls), len(ref[0].cls) + len(ref[1].cls)]
