"""``method.normalisation: paper | released``: each of the five factors where the loss differs from
the released code (docs/method.md), checked against a hand computation in both settings and in
both the fast and the reference path, so each test fails when the switch does nothing."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from tiny import METHOD, TINY, TinyKeypoints, first_batch

from posebh.losses import joints_mse
from posebh.method.config import MethodConfig
from posebh.method.global_pixels import GlobalPixels, KeypointIndex, prototype_terms
from posebh.method.negatives import cluster_targets, negatives_loss
from posebh.method.objective import PoseBHObjective
from posebh.method.posebh_model import PoseBHModel
from posebh.method.prototype_learning import (
    PixelSamples,
    assign_prototypes,
    foreground_pixels,
    prototype_loss,
)
from posebh.method.prototypes import PrototypeBank
from posebh.models.config import ModelConfig

NORMS = ("paper", "released")


def _batch() -> dict[str, torch.Tensor]:
    """2 COCO rows and 4 AIC rows: unequal batch shares and pixel counts."""
    coco = first_batch(TinyKeypoints(0, 17, style="square", unlabelled=0.2), 2)
    aic = first_batch(TinyKeypoints(1, 14, style="square", unlabelled=0.2), 4)
    return {k: torch.cat([coco[k], aic[k]]) for k in coco}


def _objective(norm: str, fast: bool, epoch: int, **method: object
               ) -> tuple[PoseBHModel, PoseBHObjective]:
    torch.manual_seed(0)
    cfg = MethodConfig(**{**METHOD, "normalisation": norm, **method})
    model = PoseBHModel(ModelConfig(**TINY), cfg)
    obj = PoseBHObjective(model, cfg, 4, True, fast=fast)
    obj.start_epoch(epoch)
    return model, obj


def _embedding(model: PoseBHModel, batch: dict) -> torch.Tensor:
    with torch.no_grad():
        return model.embed(model.backbone(batch["image"], batch["dataset_idx"]))


# ------------------------------------------------- (1) phm: batch share vs per-dataset mean
@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("norm", NORMS)
def test_phm_is_scaled_by_batch_share_or_is_the_per_dataset_mean(norm: str, fast: bool):
    model, obj = _objective(norm, fast, 0)
    batch = _batch()
    bank = model.bank.prototypes.clone()  # the step's snapshot, before the momentum update
    emb = _embedding(model, batch)
    want = 0.0
    for d, (off, k) in enumerate([(0, 17), (17, 14)]):
        rows = batch["dataset_idx"] == d
        hm = torch.einsum("bfhw,jmf->bjmhw", emb[rows], bank[off:off + k]).amax(2)
        mse = joints_mse(hm, batch["target"][rows, :k], batch["target_weight"][rows, :k])
        want += float(mse) * (1.0 if norm == "released" else float(rows.sum()) / 6)
    got = float(obj(batch)["phm"].detach()) / model.method.alpha
    assert got == pytest.approx(want, rel=1e-5)


# --------------------------------------------- (2) PPC/PPD: GT-confidence weighted or not
@pytest.mark.parametrize("norm", NORMS)
def test_ppc_ppd_are_weighted_by_gt_confidence_or_not(norm: str):
    torch.manual_seed(0)
    protos = F.normalize(torch.randn(3, 2, 4), dim=-1)  # K 3, M 2, F 4
    emb = F.normalize(torch.randn(7, 4), dim=-1)
    cls = torch.tensor([0, 0, 1, 2, 2, 2, 1])
    conf = torch.tensor([0.1, 1.0, 0.5, 0.2, 0.9, 0.3, 0.7])
    logits = emb @ protos.reshape(6, 4).T
    ppc, ppd = prototype_loss(protos, PixelSamples(emb, cls, conf), 0.05, 3, normalisation=norm)
    t = cls * 2 + assign_prototypes(logits, cls, 2, 0.05, 3)[0]
    c = torch.ones(7) if norm == "released" else conf
    ce = F.cross_entropy(logits, t, reduction="none")
    pos = logits.gather(1, t[:, None])[:, 0]
    torch.testing.assert_close(ppc, (c * ce).mean())
    torch.testing.assert_close(ppd, (c * (1 - pos) ** 2).mean())
    index = KeypointIndex.build([3], emb.device)  # the fast path, one dataset
    a, p = prototype_terms(protos, GlobalPixels(emb, cls, conf, [0, 7]), index, 0.05, 3,
                           normalisation=norm)
    torch.testing.assert_close(a, ppc)
    torch.testing.assert_close(p, ppd)


# ------------- (3) negatives: per-dataset means summed vs pooled, + the cluster-heatmap term
def test_cluster_targets_by_hand():
    target = torch.zeros(1, 3, 1, 2)
    target[0, 0, 0] = torch.tensor([0.2, 0.9])
    target[0, 1, 0] = torch.tensor([0.7, 0.1])
    target[0, 2, 0] = torch.tensor([1.0, 1.0])
    weight = torch.tensor([[1.0, 1.0, 0.0]])  # keypoint 2 unlabelled
    t, w = cluster_targets(target, weight, torch.tensor([1, 1, 0]), 3)
    torch.testing.assert_close(t[0, :, 0], torch.tensor([[0.0, 0.0], [0.7, 0.9], [0.0, 0.0]]))
    torch.testing.assert_close(w, torch.tensor([[0.0, 1.0, 0.0]]))


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("norm", NORMS)
def test_negatives_pool_the_datasets_and_add_the_cluster_heatmap_term(norm: str, fast: bool):
    model, obj = _objective(norm, fast, 2)  # phase 2: K-means has run, the bank is frozen
    batch = _batch()
    emb = _embedding(model, batch)
    cl, owner, c = model.clusters, model.cluster_owner, model.method
    k, m = cl.shape[:2]
    ce, dist, conf, counts = [], [], [], []
    hm_want = 0.0
    for d, (off, kd) in enumerate([(0, 17), (17, 14)]):
        rows = batch["dataset_idx"] == d
        t, w = batch["target"][rows, :kd], batch["target_weight"][rows, :kd]
        px = foreground_pixels(emb[rows], t, w, c.fg_threshold)
        logits = px.emb @ cl.reshape(k * m, -1).T
        cluster = owner[off + px.cls]
        pos = cluster * m + logits.view(-1, k, m)[torch.arange(len(cluster)), cluster].argmax(1)
        ce.append(F.cross_entropy(logits, pos, reduction="none"))
        dist.append((1 - logits.gather(1, pos[:, None])[:, 0]) ** 2)
        conf.append(px.conf)
        counts.append(len(px.conf))
        ct = torch.zeros(int(rows.sum()), k, *t.shape[-2:])  # a loop, not cluster_targets
        cw = torch.zeros(int(rows.sum()), k)
        for j in range(kd):
            labelled = (w[:, j] > 0).float()
            ct[:, owner[off + j]] = torch.maximum(ct[:, owner[off + j]], t[:, j] * labelled[:, None, None])
            cw[:, owner[off + j]] = torch.maximum(cw[:, owner[off + j]], w[:, j])
        s = torch.einsum("bfhw,kmf->bkmhw", emb[rows], cl).amax(2)
        hm_want += float(joints_mse(s, ct, cw)) * float(rows.sum()) / 6
    assert min(counts) > 0 and counts[0] != counts[1]
    if norm == "released":  # one mean over every pixel, unweighted
        a, p = torch.cat(ce).mean(), torch.cat(dist).mean()
        want = c.beta * a + c.gamma * p + c.alpha * hm_want
    else:  # each dataset's confidence-weighted mean, summed
        a = sum((x * y).mean() for x, y in zip(conf, ce))
        p = sum((x * y).mean() for x, y in zip(conf, dist))
        want = c.beta * a + c.gamma * p
    assert hm_want > 0
    got = float(obj(batch)["neg"].detach()) / c.delta
    assert got == pytest.approx(float(want), rel=1e-5)


# ------------------------------------ (4) CSS: divided by B vs by the instances that kept a joint
def keep_rows(kept_rows: int):
    """``reliable_joints`` stand-in: every joint of the first ``kept_rows`` unlabelled rows kept
    at the heatmap centre with weight 1, nothing on the other rows."""
    def fake(head, kp, conf_thr, dist_thr):
        u, k, h, w = head.shape
        keep = torch.zeros(u, k, dtype=torch.bool)
        keep[:kept_rows] = True
        return keep, torch.tensor([w / 2, h / 2]).expand(u, k, 2).clone(), keep.float()
    return fake


@pytest.mark.parametrize("fast", [True, False])
def test_css_is_divided_by_the_batch_or_by_the_instances_that_kept_a_joint(monkeypatch, fast):
    from posebh.method import global_css
    from posebh.method import objective as objective_module

    def pairs(heads, emb, bank, didx, index, cfg, probe=None):  # head aic keeps the first COCO row only
        b = torch.zeros(14, dtype=torch.long)
        g = 17 + torch.arange(14)
        h, w = emb.shape[-2:]
        return b, g, torch.tensor([w / 2, h / 2]).expand(14, 2).clone(), torch.ones(14)

    monkeypatch.setattr(objective_module, "reliable_joints", keep_rows(1))
    monkeypatch.setattr(global_css, "reliable_pairs", pairs)
    batch = first_batch(TinyKeypoints(0, 17, style="square"), 4)  # 4 COCO rows: AIC's CSS only
    css = {}
    for norm in NORMS:  # no PPC/PPD: the heatmap terms alone, whose normalisation differs
        _, obj = _objective(norm, fast, 3, alpha=1.0, beta=0.0, gamma=0.0)
        css[norm] = float(obj(batch)["css"].detach())
    assert css["paper"] > 0
    assert css["released"] == pytest.approx(4 * css["paper"], rel=1e-5)  # B 4, 1 instance kept


# --------------------------------------------------- (5) Eq. 4: mean not normalised vs normalised
@pytest.mark.parametrize("norm", NORMS)
def test_momentum_update_mean_is_normalised_or_not(norm: str):
    bank = PrototypeBank(1, 2, 2)
    bank.prototypes.copy_(torch.tensor([[[1.0, 0.0], [0.0, 1.0]]]))
    emb = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    # both pixels on prototype 0 with w 0.5: mean = [0, 0.5]; normalised [0, 1]
    bank.momentum_update_classes(0, torch.tensor([0, 0]), torch.tensor([0, 0]),
                                 torch.tensor([0.5, 0.5]), emb, 0.5, normalise=norm == "released")
    y = 0.5 if norm == "released" else 0.25  # 0.5 [1, 0] + 0.5 mean
    want = torch.tensor([0.5, y]) / math.hypot(0.5, y)
    torch.testing.assert_close(bank.prototypes[0, 0], want)
    torch.testing.assert_close(bank.prototypes[0, 1], torch.tensor([0.0, 1.0]))  # no pixel
    single = PrototypeBank(1, 2, 2)
    single.prototypes.copy_(torch.tensor([[[1.0, 0.0], [0.0, 1.0]]]))
    single.momentum_update(0, torch.tensor([[0.5, 0.0], [0.5, 0.0]]), emb, 0.5,
                           normalise=norm == "released")
    torch.testing.assert_close(single.prototypes, bank.prototypes)


@pytest.mark.parametrize("fast", [True, False])
def test_the_objective_updates_the_bank_by_the_chosen_eq4(fast: bool):
    banks = {}
    for norm in NORMS:
        model, obj = _objective(norm, fast, 0)
        obj(_batch())
        banks[norm] = model.bank.prototypes.clone()
    moved = (banks["paper"] - banks["released"]).abs().amax()
    assert moved > 1e-4  # the normalised mean is a longer step: a different bank

