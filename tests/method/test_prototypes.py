"""PoseBH prototypes (paper §3, supplement B): Sinkhorn assignment (Eq. 3), the momentum update
(Eq. 4), PPC / PPD (Eqs. 5-6), prototype heatmaps (Eq. 1) and the global bank indexing, each pinned
on tiny hand-checked tensors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from posebh.method.prototype_learning import (
    PixelSamples,
    assign_prototypes,
    foreground_pixels,
    ppc_ppd,
    prototype_loss,
)
from posebh.method.prototypes import PrototypeBank
from posebh.method.sinkhorn import sinkhorn


# ------------------------------------------------------------------------------- Sinkhorn (Eq. 3)
def test_sinkhorn_rows_sum_to_one_and_columns_are_equipartitioned():
    logits = torch.rand(7, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    q = sinkhorn(logits, kappa=0.05, iters=3)
    assert q.shape == (7, 3)
    torch.testing.assert_close(q.sum(dim=1), torch.ones(7, dtype=torch.float64))
    q = sinkhorn(logits, kappa=0.3, iters=300)  # converged: every prototype gets N / M samples
    torch.testing.assert_close(q.sum(dim=0), torch.full((3,), 7 / 3, dtype=torch.float64))
    torch.testing.assert_close(q.sum(dim=1), torch.ones(7, dtype=torch.float64))


def test_sinkhorn_uniform_logits_give_uniform_assignment():
    q = sinkhorn(torch.full((5, 4), 0.3), kappa=0.05, iters=3)
    torch.testing.assert_close(q, torch.full((5, 4), 0.25))


def test_sinkhorn_strong_preference_wins_and_equipartition_splits_ties():
    # each sample strongly prefers its own prototype -> that one is assigned
    logits = torch.full((3, 3), 0.1)
    logits[0, 2] = logits[1, 0] = logits[2, 1] = 0.9
    assert sinkhorn(logits).argmax(dim=1).tolist() == [2, 0, 1]
    # both samples prefer prototype 0, but equipartition sends the weaker one to prototype 1.
    # Converged 2x2 scaling [[p, 1-p], [1-p, p]] keeps the cross ratio of exp(l / kappa):
    # p^2 / (1-p)^2 = exp((0.9 + 0.7 - 0.5 - 0.8) / 0.05) = e^6  ->  p = e^3 / (1 + e^3)
    logits = torch.tensor([[0.9, 0.5], [0.8, 0.7]], dtype=torch.float64)
    assert logits.argmax(dim=1).tolist() == [0, 0]
    assert sinkhorn(logits, kappa=0.05, iters=3).argmax(dim=1).tolist() == [0, 1]
    p = math.exp(3) / (1 + math.exp(3))
    q = sinkhorn(logits, kappa=0.05, iters=200)
    torch.testing.assert_close(q, torch.tensor([[p, 1 - p], [1 - p, p]], dtype=torch.float64))


def test_assign_prototypes_runs_per_class_on_its_own_columns():
    # 2 classes x M=2 columns; class-0 pixels look at columns 0-1, class-1 pixels at 2-3
    logits = torch.tensor([[0.9, 0.1, 0.0, 0.0],
                           [0.1, 0.9, 0.0, 0.0],
                           [0.0, 0.0, 0.2, 0.8],
                           [0.0, 0.0, 0.8, 0.2]])
    t, w = assign_prototypes(logits, torch.tensor([0, 0, 1, 1]), num_prototypes=2, kappa=0.05, iters=3)
    assert t.tolist() == [0, 1, 1, 0]
    assert (w > 0.5).all() and (w <= 1).all()


# ------------------------------------------------------------------ momentum update (Eq. 4)
def test_momentum_update_by_hand():
    bank = PrototypeBank(2, 2, 2)
    bank.prototypes.copy_(torch.tensor([[[1.0, 0.0], [0.0, 1.0]], [[0.6, 0.8], [0.8, 0.6]]]))
    row1 = bank.prototypes[1].clone()
    emb = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])  # N = 3
    assign = torch.tensor([[0.5, 0.0], [1.0, 0.0], [0.0, 1.0]])  # w_mn: pixel n -> prototype m
    bank.momentum_update(0, assign, emb, momentum=0.5)
    # m=0: 0.5 [1,0] + 0.5 (0.5 [0,1] + [1,0]) / 3 = [2/3, 1/12] -> / (sqrt(65) / 12)
    # m=1: 0.5 [0,1] + 0.5 [0,1] / 3 = [0, 2/3] -> [0, 1]
    want = torch.tensor([[8 / math.sqrt(65), 1 / math.sqrt(65)], [0.0, 1.0]])
    torch.testing.assert_close(bank.prototypes[0], want)
    assert torch.equal(bank.prototypes[1], row1)


# --------------------------------------------------------------------------- PPC / PPD (5-6)
def test_ppc_ppd_by_hand():
    logits = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    target = torch.tensor([1, 0])
    conf = torch.tensor([0.5, 1.0])
    ppc, ppd = ppc_ppd(logits, target, conf)
    ce0, ce1 = math.log(3), -1 + math.log(math.e + 2)  # CE = -l_t + log sum exp l
    torch.testing.assert_close(ppc, torch.tensor((0.5 * ce0 + 1.0 * ce1) / 2))
    torch.testing.assert_close(ppd, torch.tensor((0.5 * (1 - 0) ** 2 + 1.0 * (1 - 1) ** 2) / 2))


def test_foreground_pixels_counts_classes_confidences():
    emb = torch.arange(2 * 2 * 3, dtype=torch.float32).view(1, 2, 2, 3)  # (B, F, h, w)
    target = torch.zeros(1, 2, 2, 3)
    target[0, 0, 0, 1] = 0.5
    target[0, 1, 0, 1] = 0.8  # same pixel: class = argmax channel = 1
    target[0, 1, 0, 2] = 0.3
    px = foreground_pixels(emb, target, torch.tensor([[1.0, 1.0]]))
    assert px.cls.tolist() == [1, 1]
    torch.testing.assert_close(px.conf, torch.tensor([0.8, 0.3]))
    torch.testing.assert_close(px.emb, torch.tensor([[1.0, 7.0], [2.0, 8.0]]))  # emb[0, :, 0, x]
    px = foreground_pixels(emb, target, torch.tensor([[1.0, 0.0]]))  # keypoint 1 unlabelled
    assert px.cls.tolist() == [0] and px.conf.tolist() == [0.5]
    px = foreground_pixels(emb, target, torch.tensor([[1.0, 1.0]]), threshold=0.4)
    assert px.cls.tolist() == [1] and px.conf.tolist() == [pytest.approx(0.8)]


# ----------------------------------------------------------------- prototype heatmaps (Eq. 1)
@pytest.mark.parametrize("mode,want", [
    ("cos", [[0.0, 0.8], [1.0, -0.6]]),
    ("abs", [[1.0, 0.8], [1.0, 0.8]]),
])
def test_prototype_heatmaps_max_over_prototypes(mode: str, want: list):
    bank = PrototypeBank(2, 2, 2, similarity=mode)
    bank.prototypes.copy_(torch.tensor([[[1.0, 0.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, -1.0]]]))
    emb = torch.tensor([[-1.0, 0.6], [0.0, 0.8]]).view(1, 2, 1, 2)  # pixels [-1, 0] and [.6, .8]
    hm = bank.heatmaps(emb)  # (1, J, 1, 2)
    torch.testing.assert_close(hm[0, :, 0], torch.tensor(want))
    torch.testing.assert_close(bank.heatmaps(emb, slice(1, 2))[0, :, 0], torch.tensor(want[1:]))


# ------------------------------------------------------------------------ global indexing
def test_prototype_loss_updates_the_offset_rows_of_the_bank():
    bank = PrototypeBank(5, 1, 2)
    bank.prototypes.copy_(F.normalize(torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 1.0]],
                                                    [[1.0, -1.0]], [[-1.0, 0.0]]]), dim=-1))
    before = bank.prototypes.clone()
    off = 2  # dataset whose keypoints 0, 1 are bank rows 2, 3
    emb = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # unit pixel embeddings, classes 0 and 1
    px = PixelSamples(emb, torch.tensor([0, 1]), torch.tensor([1.0, 0.5]))
    ppc, ppd = prototype_loss(before[off:off + 2].clone(), px, 0.05, 3, "cos", bank, off, 0.5)
    for r in (0, 1, 4):
        assert torch.equal(bank.prototypes[r], before[r])
    # M = 1: one pixel per class, Sinkhorn weight w = 1 -> P <- normalize(0.5 P + 0.5 e)
    for r, n in ((2, 0), (3, 1)):
        want = F.normalize(0.5 * before[r, 0] + 0.5 * emb[n], dim=0)
        torch.testing.assert_close(bank.prototypes[r, 0], want)
        assert not torch.equal(bank.prototypes[r], before[r])
    # logits are cosines with rows 2 = [c, c] and 3 = [c, -c] (c = 1/sqrt 2), target = own class
    c = 1 / math.sqrt(2)
    ce0 = F.cross_entropy(torch.tensor([[c, c]]), torch.tensor([0]))  # = log 2
    ce1 = F.cross_entropy(torch.tensor([[c, -c]]), torch.tensor([1]))
    torch.testing.assert_close(ppc, (1.0 * ce0 + 0.5 * ce1) / 2)
    torch.testing.assert_close(ppd, torch.tensor((1.0 * (1 - c) ** 2 + 0.5 * (1 + c) ** 2) / 2))


# --------------------------------------------------------- vectorised = per-class reference
def test_grouped_sinkhorn_equals_one_sinkhorn_per_class():
    from posebh.method.sinkhorn import sinkhorn_grouped

    g = torch.Generator().manual_seed(0)
    logits = torch.rand(30, 3, generator=g) * 2 - 1
    groups = torch.tensor([2, 0, 5] * 10)
    q = sinkhorn_grouped(logits, groups, kappa=0.05, iters=3)
    for c in (0, 2, 5):
        idx = groups == c
        assert torch.allclose(q[idx], sinkhorn(logits[idx], kappa=0.05, iters=3), atol=1e-6)


def test_vectorised_momentum_update_equals_the_per_class_update():
    g = torch.Generator().manual_seed(1)
    a, b = PrototypeBank(10, 3, 4), PrototypeBank(10, 3, 4)
    b.prototypes.copy_(a.prototypes)
    emb = torch.nn.functional.normalize(torch.randn(12, 4, generator=g), dim=-1)
    cls = torch.tensor([0, 1, 1, 3, 3, 3, 0, 1, 3, 3, 0, 0])
    t = torch.randint(0, 3, (12,), generator=g)
    w = torch.rand(12, generator=g)
    a.momentum_update_classes(4, cls, t, w, emb, momentum=0.9)
    for k in (0, 1, 3):
        idx = cls == k
        assign = torch.nn.functional.one_hot(t[idx], 3).float() * w[idx, None]
        b.momentum_update(4 + k, assign, emb[idx], momentum=0.9)
    assert torch.allclose(a.prototypes, b.prototypes, atol=1e-6)
