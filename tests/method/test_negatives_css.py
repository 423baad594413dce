"""PoseBH CSS filter (Eq. 7) and K-means negatives (supplement C) on tiny hand-checked tensors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from posebh.method.css import peaks, reliable_joints, reliable_targets, render_gaussians
from posebh.method.negatives import cluster_prototypes, negatives_loss
from posebh.method.prototype_learning import PixelSamples


# --------------------------------------------------------------------------------- CSS (Eq. 7)
def _spike(hm: torch.Tensor, b: int, j: int, x: int, y: int, v: float) -> None:
    hm[b, j, y, x] = v  # single-pixel peak: no sub-pixel shift, so the coordinate is exact


def _css_case() -> tuple[torch.Tensor, torch.Tensor]:
    head, proto = torch.zeros(2, 7, 8, 8), torch.zeros(2, 7, 8, 8)
    for b in range(2):
        # j0: both confident, 1 px apart -> kept; fused x = 0.6 * 3 + 0.4 * 4 = 3.4; weight 0.6
        _spike(head, b, 0, 3, 4, 0.9), _spike(proto, b, 0, 4, 4, 0.6)
        # j1: head below c_thr -> dropped
        _spike(head, b, 1, 2, 2, 0.2), _spike(proto, b, 1, 2, 2, 0.9)
        # j2: same peak (5, 1) -> kept. Released code: sqrt(0 + (prt_x - prt_y)^2) = 4 -> dropped
        _spike(head, b, 2, 5, 1, 0.8), _spike(proto, b, 2, 5, 1, 0.7)
        # j3: 5 px apart in y -> dropped. Released code: sqrt(0 + (1 - 1)^2) = 0 -> kept
        _spike(head, b, 3, 1, 6, 0.8), _spike(proto, b, 3, 1, 1, 0.8)
        # j4: 2 px apart (< 2.1) -> kept; fused x = (0.5 * 2 + 0.3 * 4) / 0.8 = 2.75; weight 0.3
        _spike(head, b, 4, 2, 2, 0.5), _spike(proto, b, 4, 4, 2, 0.3)
        # j5: prototype confidence exactly c_thr (strictly greater needed) -> dropped
        _spike(head, b, 5, 6, 6, 0.9), _spike(proto, b, 5, 6, 6, 0.25)
        # j6: sqrt(5) = 2.24 px apart (> 2.1) -> dropped
        _spike(head, b, 6, 2, 5, 0.9), _spike(proto, b, 6, 4, 6, 0.9)
    return head, proto


def test_css_filter_keeps_and_drops_the_right_joints():
    head, proto = _css_case()
    keep, fused, weight = reliable_joints(head, proto, conf_thr=0.25, dist_thr=2.1)
    assert keep[1].tolist() == [True, False, True, False, True, False, False]
    torch.testing.assert_close(fused[1, 0], torch.tensor([3.4, 4.0]))
    torch.testing.assert_close(fused[1, 2], torch.tensor([5.0, 1.0]))
    torch.testing.assert_close(fused[1, 4], torch.tensor([2.75, 2.0]))
    torch.testing.assert_close(weight[1], torch.tensor([0.6, 0, 0.7, 0, 0.3, 0, 0]))  # min conf


def test_reliable_targets_render_kept_joints_of_unlabelled_rows_only():
    head, proto = _css_case()
    target, weight = reliable_targets(head, proto, torch.tensor([False, True]))
    assert target[0].abs().sum() == 0 and weight[0].abs().sum() == 0  # labelled row excluded
    assert target[1, [1, 3, 5, 6]].abs().sum() == 0
    # sigma-2 Gaussian at (3.4, 4): exp(-d^2 / 8)
    assert target[1, 0, 4, 3].item() == pytest.approx(math.exp(-0.16 / 8), rel=1e-6)
    assert target[1, 0, 4, 4].item() == pytest.approx(math.exp(-0.36 / 8), rel=1e-6)
    assert target[1, 2, 1, 5].item() == pytest.approx(1.0)
    torch.testing.assert_close(weight[1], torch.tensor([0.6, 0, 0.7, 0, 0.3, 0, 0]))


def test_peaks_and_gaussians():
    hm = torch.zeros(1, 1, 5, 5)
    hm[0, 0, 2, 1], hm[0, 0, 2, 2] = 0.5, 1.0  # left neighbour higher -> shift x by -0.25
    xy, ref, val = peaks(hm)
    assert xy[0, 0].tolist() == [2.0, 2.0] and ref[0, 0].tolist() == [1.75, 2.0] and val.item() == 1.0
    g = render_gaussians(torch.tensor([[[2.0, 2.0]]]), (5, 5))
    assert g[0, 0, 2, 2] == 1.0 and g[0, 0, 0, 0].item() == pytest.approx(math.exp(-8 / 8))


# ----------------------------------------------------------------------- K-means negatives
def test_cluster_prototypes_shape_ownership_determinism():
    protos = F.normalize(torch.randn(10, 3, 8, generator=torch.Generator().manual_seed(0)), dim=-1)
    bank, owner = cluster_prototypes(protos, num_clusters=5, seed=0)
    assert bank.shape == (5, 3, 8) and owner.shape == (10,)
    assert ((owner >= 0) & (owner < 5)).all()
    torch.testing.assert_close(bank.norm(dim=-1), torch.ones(5, 3))
    flat = protos.reshape(-1, 8)
    assert all((flat - v).abs().amax(dim=1).min() < 1e-6 for v in bank.reshape(-1, 8))  # real prototypes
    bank2, owner2 = cluster_prototypes(protos, num_clusters=5, seed=0)
    assert torch.equal(bank, bank2) and torch.equal(owner, owner2)


def test_cluster_ownership_groups_similar_keypoints():
    e1, e2 = torch.tensor([1.0, 0.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0, 0.0])
    noise = 0.05 * torch.randn(4, 2, 4, generator=torch.Generator().manual_seed(1))
    protos = F.normalize(torch.stack([e1, e1, e2, e2])[:, None] + noise, dim=-1)  # (J=4, M=2, F=4)
    _, owner = cluster_prototypes(protos, num_clusters=2)
    assert owner[0] == owner[1] != owner[2] == owner[3]


def test_negatives_loss_positive_is_the_owner_cluster():
    clusters = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]])  # K=2, M=1
    owner = torch.tensor([1, 0, 0])  # keypoint 0 -> cluster 1; keypoints 1, 2 -> cluster 0
    px = PixelSamples(torch.tensor([[0.0, 1.0]]), torch.tensor([0]), torch.tensor([1.0]))
    ppc, ppd = negatives_loss(clusters, owner, px, offset=0)
    assert ppc.item() == pytest.approx(-1 + math.log(1 + math.e))
    assert ppd.item() == 0.0
    px = PixelSamples(torch.tensor([[0.0, 1.0]]), torch.tensor([0]), torch.tensor([1.0]))
    ppc, ppd = negatives_loss(clusters, owner, px, offset=1)  # global keypoint 1 -> cluster 0
    assert ppd.item() == pytest.approx(1.0)
