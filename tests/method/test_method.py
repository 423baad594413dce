"""PoseBH method (paper §3, supplement B-C): every equation pinned on tiny hand-checked tensors,
the phase schedule, and a tiny three-phase training run that is bit-identical on CPU."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from tiny import METHOD, TINY, TinyKeypoints, first_batch, kept_num_threads

from posebh.method.config import MethodConfig
from posebh.method.css import peaks, reliable_joints, reliable_targets, render_gaussians
from posebh.method.negatives import cluster_prototypes, negatives_loss
from posebh.method.objective import PoseBHObjective
from posebh.method.phases import apply_phase, boundaries, phase_at
from posebh.method.posebh_model import PoseBHModel
from posebh.method.prototype_learning import (
    PixelSamples,
    assign_prototypes,
    foreground_pixels,
    ppc_ppd,
    prototype_loss,
)
from posebh.method.prototypes import PrototypeBank
from posebh.method.sinkhorn import sinkhorn
from posebh.models.config import ModelConfig
from posebh.training.config import OptimConfig, TrainConfig
from posebh.training.optim import build_optimizer
from posebh.training.trainer import train_multihead


def points(idx: int, k: int) -> TinyKeypoints:
    """K keypoints at random cells of an 8x8 heatmap (3x3 blobs: 1 at the centre, 0.5 around),
    drawn into the 32x32 image as 4x4 squares; ~20% of the keypoints unlabelled."""
    return TinyKeypoints(idx, k, style="square", unlabelled=0.2)


def _model(**method: object) -> PoseBHModel:
    torch.manual_seed(0)
    return PoseBHModel(ModelConfig(**TINY), MethodConfig(**{**METHOD, **method}))


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


def test_objective_on_a_non_coco_batch_touches_only_that_datasets_bank_rows():
    model = _model()
    assert model.offsets == {"coco": 0, "aic": 17}
    obj = PoseBHObjective(model, model.method, 4, True)
    obj.start_epoch(0)  # phase 1: prototypes are updated
    before = model.bank.prototypes.clone()
    batch = first_batch(points(1, 14), 4)  # AIC only
    terms = obj(batch)
    assert {"phm", "ppc", "ppd"} <= set(terms) and not any(k.startswith("loss_") for k in terms)
    changed = (model.bank.prototypes != before).flatten(1).any(dim=1).nonzero().flatten().tolist()
    labelled = (batch["target_weight"][:, :14] > 0).any(dim=0).nonzero().flatten()
    assert changed and set(changed) <= set(range(17, 31))
    assert set(changed) <= set((17 + labelled).tolist())


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


# ----------------------------------------------------------------------------------- phases
def test_phase_boundaries():
    assert boundaries(100, (0.5, 0.9)) == (50, 90)
    assert boundaries(10, (0.5, 0.9)) == (5, 9)
    assert boundaries(4, (0.5, 0.9)) == (2, 3)
    got = [phase_at(e, 10, (0.5, 0.9), True, True, 0.5).index for e in range(10)]
    assert got == [1] * 5 + [2] * 4 + [3]
    assert [phase_at(e, 4, (0.5, 0.9), True, True, 0.5).index for e in range(4)] == [1, 1, 2, 3]
    p1, p2, p3 = (phase_at(e, 100, (0.5, 0.9), True, True, 0.5) for e in (49, 50, 90))
    assert (p1.update_prototypes, p1.negatives, p1.css) == (True, False, False)
    assert (p2.update_prototypes, p2.negatives, p2.css) == (False, True, True)
    assert (p3.update_prototypes, p3.train_backbone, p3.train_heads) == (False, True, True)
    late = [phase_at(e, 100, (0.5, 0.9), True, True, 0.9).css for e in (50, 89, 90)]
    assert late == [False, False, True]  # §4.2's css_start = 0.9


@pytest.mark.parametrize("epoch,trainable", [(0, {"embed"}), (2, {"embed", "heads"}),
                                             (3, {"embed", "heads", "backbone"})])
def test_freezing_per_phase_touches_exactly_the_right_parameters(epoch: int, trainable: set):
    model = _model()
    phase = phase_at(epoch, 4, (0.5, 0.9), True, True, 0.5)
    apply_phase(model, phase)
    tops = {name.split(".")[0] for name, _ in model.named_parameters()}
    assert tops == {"backbone", "heads", "embed"}  # the bank and the clusters are buffers
    for name, p in model.named_parameters():
        assert p.requires_grad == (name.split(".")[0] in trainable), name
    assert model.backbone.training == ("backbone" in trainable)
    assert model.heads.training == ("heads" in trainable)


def test_bank_is_a_buffer_never_in_the_optimizer():
    model = _model()
    names = dict(model.named_buffers())
    assert "bank.prototypes" in names and "clusters" in names
    opt = build_optimizer(model, OptimConfig(), num_layers=model.backbone.depth)
    ids = {id(p) for g in opt.param_groups for p in g["params"]}
    assert id(model.bank.prototypes) not in ids and id(model.clusters) not in ids
    assert len(ids) == sum(1 for _ in model.parameters())


# -------------------------------------------------------- tiny three-phase training on CPU
def _train(epochs: int = 4) -> tuple[list[dict], list[dict]]:
    """PoseBH fine-tuning of a tiny model; state-dict snapshots (initial + after every epoch)."""
    model = _model()
    snaps = [{k: v.clone() for k, v in model.state_dict().items()}]
    cfg = TrainConfig(epochs=epochs, batch_size=4, num_threads=1,
                      optim=OptimConfig(lr=3e-3, warmup_iters=1, lr_steps=()))
    obj = PoseBHObjective(model, model.method, epochs, True)
    with kept_num_threads():
        hist = train_multihead(model, [points(0, 17), points(1, 14)], cfg, torch.device("cpu"),
                               progress=False, objective=obj,
                               on_epoch=lambda e, log: snaps.append(
                                   {k: v.clone() for k, v in model.state_dict().items()}))
    return snaps, hist


@pytest.fixture(scope="module")
def runs() -> tuple:
    return _train(), _train()


def _changed(a: dict, b: dict, prefix: str, skip: str = "num_batches_tracked") -> bool:
    return any(not torch.equal(a[k], b[k]) for k in a if k.startswith(prefix) and skip not in k)


def test_three_phase_training_is_bit_identical_on_cpu(runs):
    (snaps_a, hist_a), (snaps_b, hist_b) = runs
    assert len(snaps_a) == 5
    for sa, sb in zip(snaps_a, snaps_b):
        for k in sa:
            assert torch.equal(sa[k], sb[k]), k
    for ha, hb in zip(hist_a, hist_b):
        assert {k: v for k, v in ha.items() if k not in ("seconds", "images_per_s")} == \
               {k: v for k, v in hb.items() if k not in ("seconds", "images_per_s")}


def test_what_each_phase_trains(runs):
    (snaps, hist), _ = runs  # epochs 0-1 phase 1, epoch 2 phase 2, epoch 3 phase 3
    assert [h["phase"] for h in hist] == [1, 1, 2, 3]
    bank = [s["bank.prototypes"] for s in snaps]
    assert not torch.equal(bank[0], bank[1]) and not torch.equal(bank[1], bank[2])  # phase 1
    assert torch.equal(bank[2], bank[3]) and torch.equal(bank[3], bank[4])  # frozen from phase 2
    for e in range(4):
        assert _changed(snaps[e], snaps[e + 1], "embed."), e  # always trained
    assert not _changed(snaps[0], snaps[2], "heads.")  # weights and BN statistics frozen
    assert _changed(snaps[2], snaps[3], "heads.")
    assert not _changed(snaps[0], snaps[3], "backbone.")
    assert _changed(snaps[3], snaps[4], "backbone.")
    assert (snaps[2]["cluster_owner"] == -1).all() and (snaps[3]["cluster_owner"] >= 0).all()
    assert torch.equal(snaps[3]["clusters"], snaps[4]["clusters"])  # K-means runs once
    assert not any(k.startswith("loss_") for k in hist[0]) and "neg" not in hist[0]
    assert {"loss_coco", "loss_aic", "neg", "css", "ppc", "ppd", "phm"} <= set(hist[2])
    assert all(math.isfinite(v) for h in hist for v in h.values())


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
