"""CAPE matchers on synthetic feature maps: exact keypoints from unique codes, subpixel peaks,
the fine-tuned head learning a keypoint."""

import numpy as np
import pytest
import torch

from posebh.data.topdown import transform_points
from posebh.evaluation.cape_episodes import sample_episodes
from posebh.evaluation.cape_features import CapeFeatures
from posebh.evaluation.cape_matchers import (
    finetune_predictions,
    gaussian_targets,
    prototype_predictions,
    refine_peaks,
    sample_at,
)

N, J, H, W = 12, 4, 10, 8


def affines(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 2, 3) image -> heat-map: a per-instance scale and offset (as a crop does)."""
    out = np.zeros((n, 2, 3))
    for i in range(n):
        s = rng.uniform(0.1, 0.3)
        out[i] = [[s, 0, -rng.uniform(0, 5)], [0, s, -rng.uniform(0, 5)]]
    return out


def coded_features(rng: np.random.Generator, noise: float = 0.0):
    """Feature maps whose pixel at keypoint j of every instance holds code j (one-hot, channel j),
    every other pixel the background code (channel J) plus ``noise``; keypoints (N, J, 3) in
    image px (integer heat-map px), all visible."""
    to_hm = affines(N, rng)
    maps = torch.zeros(N, J + 1, H, W)
    maps[:, J] = 1.0
    maps += noise * torch.rand(N, J + 1, H, W, generator=torch.Generator().manual_seed(1))
    hm = np.zeros((N, J, 2))
    for i in range(N):
        cells = rng.choice(H * W, size=J, replace=False)
        for j, c in enumerate(cells):
            y, x = divmod(int(c), W)
            maps[i, :, y, x] = 0.0
            maps[i, j, y, x] = 1.0
            hm[i, j] = (x, y)
    feats = CapeFeatures(maps, to_hm)
    inv = [np.linalg.inv(np.vstack([m, [0, 0, 1]]))[:2] for m in to_hm]
    xy = np.stack([hm[i] @ inv[i][:, :2].T + inv[i][:, 2] for i in range(N)])
    return feats, np.concatenate([xy, np.full((N, J, 1), 2.0)], axis=-1), hm


@pytest.mark.parametrize("shots", [1, 3])
def test_prototypes_find_the_exact_keypoints_of_unique_codes(shots):
    feats, kps, hm = coded_features(np.random.default_rng(0))
    episodes = sample_episodes("c", N, shots, num_queries=4, num_episodes=6, seed=0)
    pred = prototype_predictions(feats, kps, episodes)  # (E, Q, J, 2)
    truth = np.stack([[kps[q, :, :2] for q in e.queries] for e in episodes])
    assert pred.shape == (6, 4, J, 2)
    np.testing.assert_allclose(pred, truth, atol=1e-6)
    noisy, _, _ = coded_features(np.random.default_rng(0), noise=0.3)
    pred = prototype_predictions(noisy, kps, episodes)  # peaks on the right pixel, refined
    on_map = np.stack([[transform_points(pred[a, b], noisy.to_heatmap[q])
                        for b, q in enumerate(e.queries)] for a, e in enumerate(episodes)])
    truth_hm = np.stack([[hm[q] for q in e.queries] for e in episodes])
    assert np.abs(on_map - truth_hm).max() <= 0.5 + 1e-9


def test_shuffled_support_keypoints_miss():
    feats, kps, _ = coded_features(np.random.default_rng(0))
    episodes = sample_episodes("c", N, 2, num_queries=4, num_episodes=6, seed=0)
    shuffled = kps.copy()
    for e in episodes:
        for s in e.supports:
            shuffled[s] = kps[s][[1, 2, 3, 0]]  # support labels rotated: wrong prototypes
    pred = prototype_predictions(feats, shuffled, episodes)
    truth = np.stack([[kps[q, :, :2] for q in e.queries] for e in episodes])
    assert np.linalg.norm(pred - truth, axis=-1).min() > 1e-3


def test_invisible_support_keypoints_do_not_enter_the_prototype():
    feats, kps, _ = coded_features(np.random.default_rng(0))
    episodes = sample_episodes("c", N, 2, num_queries=4, num_episodes=6, seed=0)
    hidden = kps.copy()
    hidden[episodes[0].supports[0], 0] = 0.0  # keypoint 0 unlabelled (0, 0, 0) in one support
    kept = [a for a, e in enumerate(episodes) if (hidden[list(e.supports), 0, 2] > 0).any()]
    assert 0 in kept
    pred = prototype_predictions(feats, hidden, episodes)[kept]
    truth = np.stack([[kps[q, :, :2] for q in e.queries] for e in episodes])[kept]
    np.testing.assert_allclose(pred, truth, atol=1e-6)
    counted = hidden.copy()
    counted[episodes[0].supports[0], 0, 2] = 2.0  # the same wrong point counted as visible: off
    off = prototype_predictions(feats, counted, episodes)[kept]
    assert not np.allclose(off[0, :, 0], truth[0, :, 0], atol=1e-3)


def test_sample_at_reads_pixel_centres_and_interpolates():
    maps = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(1, 2, 3, 4)
    pts = torch.tensor([[[0.0, 0.0], [3.0, 2.0], [1.5, 1.0]]])
    got = sample_at(maps, pts)  # (1, 3, 2)
    assert got[0, 0].tolist() == [0.0, 12.0] and got[0, 1].tolist() == [11.0, 23.0]
    assert got[0, 2].tolist() == pytest.approx([5.5, 17.5])


def test_refinement_stays_within_half_a_pixel_and_moves_toward_the_peak():
    centre = torch.tensor([[[5.3, 3.8]]], dtype=torch.float64)  # (1, 1, 2) x, y
    heat = gaussian_targets(centre, (12, 9), sigma=1.5)  # (1, 1, 9, 12)
    got = refine_peaks(heat)[0, 0]
    argmax = torch.tensor([5.0, 4.0], dtype=torch.float64)
    assert ((got - argmax).abs() <= 0.5).all()
    assert (got - centre[0, 0]).norm() < 0.5 * (argmax - centre[0, 0]).norm()
    flat = torch.zeros(1, 5, 5)
    flat[0, 0, 2] = 1.0  # on the border row: no shift in y, none in x (flat neighbours)
    assert refine_peaks(flat)[0].tolist() == [2.0, 0.0]


def toy_single_keypoint(rng: np.random.Generator):
    """J = 1: a Gaussian bump of channel 0 at the keypoint, noise in 7 other channels."""
    n, h, w = 10, 12, 12
    g = torch.Generator().manual_seed(0)
    maps = 0.3 * torch.rand(n, 8, h, w, generator=g)
    hm = np.stack([rng.integers(2, 10, size=2) for _ in range(n)]).astype(float)  # (n, 2)
    bump = gaussian_targets(torch.as_tensor(hm[:, None]), (w, h), sigma=1.0)[:, 0]  # (n, h, w)
    maps[:, 0] = bump.float()
    to_hm = np.tile(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (n, 1, 1))
    kps = np.concatenate([hm[:, None], np.full((n, 1, 1), 2.0)], axis=-1)  # (n, 1, 3)
    return CapeFeatures(maps, to_hm), kps


def test_finetune_learns_a_single_keypoint():
    feats, kps = toy_single_keypoint(np.random.default_rng(0))
    episodes = sample_episodes("toy", 10, 2, num_queries=5, num_episodes=3, seed=0)
    truth = np.stack([[kps[q, :, :2] for q in e.queries] for e in episodes])
    pred = finetune_predictions(feats, kps, episodes, steps=60, lr=0.05, sigma=1.0, seed=0)
    assert np.linalg.norm(pred - truth, axis=-1).max() < 1.0
    untrained = finetune_predictions(feats, kps, episodes, steps=0, lr=0.05, sigma=1.0, seed=0)
    assert np.linalg.norm(untrained - truth, axis=-1).mean() > 2.0  # training does the work
    again = finetune_predictions(feats, kps, episodes, steps=60, lr=0.05, sigma=1.0, seed=0)
    assert np.array_equal(pred, again)
