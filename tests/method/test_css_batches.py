"""CSS in batches that lack a dataset (evidence issue #12, item 5: two defects of the old code)."""

from __future__ import annotations

import pytest
import torch
from tiny import METHOD, TINY, TinyKeypoints, first_batch

from posebh.method import global_css
from posebh.method import objective as objective_module
from posebh.method.config import MethodConfig
from posebh.method.objective import PoseBHObjective
from posebh.method.posebh_model import PoseBHModel
from posebh.models.config import ModelConfig


def _phase3(fast: bool = True) -> tuple[PoseBHModel, PoseBHObjective]:
    torch.manual_seed(0)
    model = PoseBHModel(ModelConfig(**TINY), MethodConfig(**METHOD))
    obj = PoseBHObjective(model, model.method, 4, True, fast=fast)
    obj.start_epoch(3)  # phase 3: CSS on
    assert obj.phase.css
    return model, obj


@pytest.mark.parametrize("fast", [True, False])
def test_a_batch_of_one_dataset_does_not_crash_the_css_phase(fast: bool):
    """The old code crashed: head d's CSS ran on an empty set of unlabelled rows."""
    _, obj = _phase3(fast)
    terms = obj(first_batch(TinyKeypoints(0, 17, style="square"), 4))  # COCO rows only
    assert torch.isfinite(terms["css"])


@pytest.mark.parametrize("fast", [True, False])
def test_css_supervises_a_head_whose_dataset_is_absent_from_the_batch(monkeypatch, fast: bool):
    """The old code skipped CSS for head d in every batch without a row of d (``continue``)."""
    def keep_all(head, kp, conf_thr, dist_thr):  # every joint reliable, at the heatmap centre
        u, k, h, w = head.shape
        fused = torch.tensor([w / 2, h / 2]).expand(u, k, 2).clone()
        return torch.ones(u, k, dtype=torch.bool), fused, torch.ones(u, k)

    def keep_all_pairs(heads, emb, bank, didx, index, cfg, probe=None):  # the same, batched path
        b, g = (index.dataset[None, :] != didx[:, None]).nonzero(as_tuple=True)
        h, w = emb.shape[-2:]
        return b, g, torch.tensor([w / 2, h / 2]).expand(len(b), 2).clone(), torch.ones(len(b))

    monkeypatch.setattr(objective_module, "reliable_joints", keep_all)
    monkeypatch.setattr(global_css, "reliable_pairs", keep_all_pairs)
    model, obj = _phase3(fast)
    terms = obj(first_batch(TinyKeypoints(0, 17, style="square"), 4))  # no AIC row
    assert terms["css"] > 0
    terms["css"].backward()
    assert model.heads["aic"].final.weight.grad.abs().sum() > 0  # AIC's head learns from COCO rows
    assert model.heads["coco"].final.weight.grad is None  # COCO rows are labelled for COCO
