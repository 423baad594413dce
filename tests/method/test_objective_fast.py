"""The batched objective (``fast=True``) against the per-dataset reference loop (``fast=False``):
every loss term, every term's gradients and the prototype-bank momentum update agree, in all
three phases, with a dataset absent from the batch, grouped or interleaved rows, cos and |cos|,
under the paper's and the released code's normalisations."""

from __future__ import annotations

import copy

import pytest
import torch
from tiny import METHOD, TINY, TinyKeypoints, first_batch

from posebh.method.config import MethodConfig
from posebh.method.global_css import pair_heatmaps, reliable_pairs
from posebh.method.objective import PoseBHObjective
from posebh.method.posebh_model import PoseBHModel
from posebh.models.config import ModelConfig

DATASETS = ("coco", "aic", "mpii")  # aic (bank rows 17-30) never appears in the batch
# CSS thresholds loose enough that the random tiny heads keep pairs (some dropped by distance)
CSS = {"css_conf_thr": 0.0, "css_dist_thr": 3.0}


def _batch(grouped: bool) -> dict[str, torch.Tensor]:
    coco = first_batch(TinyKeypoints(0, 17, style="square", unlabelled=0.2), 3)
    mpii = first_batch(TinyKeypoints(2, 16, style="square", unlabelled=0.2), 3)
    batch = {k: torch.cat([coco[k], mpii[k]]) for k in coco}
    perm = torch.arange(6) if grouped else torch.tensor([3, 0, 4, 1, 5, 2])  # interleaved rows
    return {k: v[perm] for k, v in batch.items()}


def _pair(similarity: str, **method: object) -> tuple[PoseBHModel, PoseBHModel]:
    torch.manual_seed(0)
    cfg = MethodConfig(**{**METHOD, **CSS, "similarity": similarity, **method})
    model = PoseBHModel(ModelConfig(**{**TINY, "datasets": DATASETS}), cfg)
    return model, copy.deepcopy(model)


def _terms_and_grads(model: PoseBHModel, fast: bool, epoch: int, batch: dict
                     ) -> tuple[dict[str, torch.Tensor], dict[str, list[torch.Tensor]]]:
    obj = PoseBHObjective(model, model.method, 4, True, fast=fast)
    obj.start_epoch(epoch)
    terms = obj(batch)
    params = [p for p in model.parameters() if p.requires_grad]
    grads = {}
    for k, v in terms.items():
        g = torch.autograd.grad(v, params, retain_graph=True, allow_unused=True)
        grads[k] = [torch.zeros_like(p) if x is None else x for p, x in zip(params, g)]
    return terms, grads


def _close(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    scale = float(b.detach().abs().max()) if b.numel() else 0.0
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6 * scale + 1e-12, msg=what)


@pytest.mark.parametrize("normalisation", ["paper", "released"])
@pytest.mark.parametrize("similarity", ["cos", "abs"])
@pytest.mark.parametrize("grouped", [True, False])
@pytest.mark.parametrize("epoch", [0, 2, 3])  # phase 1 (bank update), 2 (negatives, CSS), 3
def test_fast_objective_equals_the_reference(similarity: str, grouped: bool, epoch: int,
                                             normalisation: str):
    fast_model, ref_model = _pair(similarity, normalisation=normalisation)
    batch = _batch(grouped)
    fast, fast_g = _terms_and_grads(fast_model, True, epoch, batch)
    ref, ref_g = _terms_and_grads(ref_model, False, epoch, batch)
    assert set(fast) == set(ref)
    expected = {"phm", "ppc", "ppd"} | ({"neg", "css"} if epoch else set())
    assert expected <= set(ref)
    for k in ref:
        _close(fast[k], ref[k], k)
        assert float(ref[k].detach()) > 0 or k.startswith("loss_aic"), k  # every term is exercised
        for i, (a, b) in enumerate(zip(fast_g[k], ref_g[k])):
            _close(a, b, f"grad of {k}, parameter {i}")
    _close(fast_model.bank.prototypes, ref_model.bank.prototypes, "bank")
    if epoch == 0:  # the momentum update ran, on coco and mpii rows only
        moved = (ref_model.bank.prototypes != _pair(similarity)[0].bank.prototypes).any(-1).any(-1)
        assert moved[:17].any() and moved[31:].any() and not moved[17:31].any()


def test_fast_css_keeps_pairs_and_drops_some():
    """The CSS test above is not vacuous: pairs of both present datasets' rows are kept for
    every head, and the distance filter drops some."""
    model, _ = _pair("cos")
    obj = PoseBHObjective(model, model.method, 4, True, fast=True)
    obj.start_epoch(3)
    batch = _batch(False)
    with torch.no_grad():
        feats = model.backbone(batch["image"], batch["dataset_idx"])
        heads = model.run_heads(feats, batch["dataset_idx"], True)
        emb = model.embed(feats)
        index = obj._index(emb.device)
        b, g, _, _ = reliable_pairs([heads[n] for n in DATASETS], emb, model.bank.prototypes,
                                    batch["dataset_idx"], index, model.method)
    unlabelled = (index.dataset[None, :] != batch["dataset_idx"][:, None]).sum()
    assert 0 < len(b) < unlabelled
    assert set(index.dataset[g].tolist()) == {0, 1, 2}
    assert obj(batch)["css"] > 0


def test_pair_heatmaps_equal_the_dense_prototype_heatmaps():
    torch.manual_seed(0)
    emb = torch.nn.functional.normalize(torch.randn(4, 8, 5, 6), dim=1)
    bank = torch.nn.functional.normalize(torch.randn(10, 3, 8), dim=-1)
    rows = torch.tensor([2, 0, 2, 3, 0, 2])
    kps = torch.tensor([9, 1, 0, 4, 5, 1])
    for mode in ("cos", "abs"):
        s = torch.einsum("bfhw,jmf->bjmhw", emb, bank)
        dense = (s.abs() if mode == "abs" else s).amax(2).flatten(2)  # (B, J, hw)
        _close(pair_heatmaps(emb, bank, rows, kps, mode), dense[rows, kps], mode)
