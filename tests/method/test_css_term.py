"""``PoseBHObjective._css`` (the reference Eq. 8 for one head) against a dense computation:
reliable heatmaps of every (row, joint) (``css.reliable_targets``), JointsMSE of the head and
of the prototype heatmaps, PPC/PPD on the reliable heatmaps' foreground pixels; values and
gradients, under both normalisations."""

from __future__ import annotations

import pytest
import torch
from tiny import METHOD, TINY, TinyKeypoints, first_batch

from posebh.losses import joints_mse
from posebh.method.config import MethodConfig
from posebh.method.css import reliable_targets
from posebh.method.objective import PoseBHObjective
from posebh.method.posebh_model import PoseBHModel
from posebh.method.prototype_learning import PixelSamples, prototype_loss
from posebh.models.config import ModelConfig

# loose thresholds (the untrained heads keep pairs) and visible prototype weights
CFG = dict(css_conf_thr=0.0, css_dist_thr=3.0, alpha=0.5, beta=0.1, gamma=0.2)


def _dense_css(head: torch.Tensor, emb: torch.Tensor, model: PoseBHModel, bank: torch.Tensor,
               unlabelled: torch.Tensor, off: int, k: int) -> tuple[torch.Tensor, int]:
    """Eq. 8 for one head, dense over (B, K): -> (loss, rows that kept a joint)."""
    c = model.method
    b = head.shape[0]
    kp = model.bank.heatmaps(emb, slice(off, off + k), bank)  # (B, K, h, w), with grad
    target, weight = reliable_targets(head, kp, unlabelled, c.css_conf_thr, c.css_dist_thr)
    kept_rows = int((weight > 0).any(dim=1).sum())
    rows = kept_rows if c.normalisation == "released" else b
    loss = (joints_mse(head, target, weight) + c.alpha * joints_mse(kp, target, weight)) * b / rows
    fg = (target > c.fg_threshold) & (weight[:, :, None, None] > 0)
    r, j, y, x = fg.nonzero(as_tuple=True)
    pixels = PixelSamples(emb[r, :, y, x], j, target[r, j, y, x])
    a, q = prototype_loss(bank[off:off + k], pixels, c.kappa, c.sinkhorn_iters, c.similarity,
                          normalisation=c.normalisation)
    return loss + c.beta * a + c.gamma * q, kept_rows


@pytest.mark.parametrize("norm", ["paper", "released"])
def test_css_of_one_head_equals_the_dense_eq8(norm: str):
    torch.manual_seed(0)
    cfg = MethodConfig(**{**METHOD, **CFG, "normalisation": norm})
    model = PoseBHModel(ModelConfig(**TINY), cfg)
    obj = PoseBHObjective(model, cfg, 4, True, fast=False)
    obj.start_epoch(2)
    coco = first_batch(TinyKeypoints(0, 17, style="square"), 3)
    aic = first_batch(TinyKeypoints(1, 14, style="square"), 3)
    batch = {key: torch.cat([coco[key], aic[key]]) for key in coco}
    feats = model.backbone(batch["image"], batch["dataset_idx"])
    head = model.run_heads(feats, batch["dataset_idx"], True)["aic"]  # (6, 14, 8, 8)
    emb = model.embed(feats)
    bank = model.bank.prototypes.clone()
    unlabelled = batch["dataset_idx"] != 1  # head aic on the COCO rows
    got = obj._css(head, emb, bank, unlabelled, 17, 14, 6)
    want, kept_rows = _dense_css(head, emb, model, bank, unlabelled, 17, 14)
    assert 0 < kept_rows <= 3 and float(want.detach()) > 0
    torch.testing.assert_close(got, want, rtol=1e-5, atol=0)
    for x in (head, emb):  # the same gradient reaches the head and the embeddings
        g_got, g_want = torch.autograd.grad(got, x, retain_graph=True), \
            torch.autograd.grad(want, x, retain_graph=True)
        assert g_want[0].abs().sum() > 0
        torch.testing.assert_close(g_got[0], g_want[0], rtol=1e-5, atol=1e-9)


def test_css_of_a_head_with_no_unlabelled_row_is_zero():
    torch.manual_seed(0)
    cfg = MethodConfig(**{**METHOD, **CFG})
    model = PoseBHModel(ModelConfig(**TINY), cfg)
    obj = PoseBHObjective(model, cfg, 4, True, fast=False)
    emb = torch.nn.functional.normalize(torch.randn(2, 8, 8, 8, requires_grad=True), dim=1)
    head = torch.rand(2, 17, 8, 8)
    got = obj._css(head, emb, model.bank.prototypes, torch.zeros(2, dtype=torch.bool), 0, 17, 2)
    assert float(got.detach()) == 0.0 and got.requires_grad
