"""Under autocast (the paper profile's AMP) the prototype module runs in float32: the embedding
module, the prototype heatmaps and logits, and every prototype term; the heads keep the
autocast dtype. Checked on CPU with bfloat16 autocast, fast and reference path."""

from __future__ import annotations

import pytest
import torch
from tiny import METHOD, TINY, TinyKeypoints, first_batch

from posebh.method import global_css, global_pixels, negatives, prototype_learning
from posebh.method import objective as objective_module
from posebh.method.config import MethodConfig
from posebh.method.objective import PoseBHObjective
from posebh.method.posebh_model import PoseBHModel
from posebh.models.config import ModelConfig

TERMS = ("phm", "ppc", "ppd", "neg", "css")


@pytest.mark.parametrize("fast", [True, False])
def test_prototype_terms_are_float32_under_bf16_autocast(monkeypatch, fast: bool):
    seen: dict[str, set] = {"embed": set(), "heads": set(), "similarity": set(), "heatmaps": set()}

    def spy(name: str, fn):
        def wrapped(*args, **kwargs):
            out = fn(*args, **kwargs)
            seen[name].add(out.dtype)
            return out
        return wrapped

    for module in (global_pixels, prototype_learning, negatives):
        monkeypatch.setattr(module, "similarity", spy("similarity", module.similarity))
    for module in (global_pixels, global_css, objective_module):
        monkeypatch.setattr(module, "dense_heatmaps", spy("heatmaps", module.dense_heatmaps))
    torch.manual_seed(0)
    cfg = MethodConfig(**{**METHOD, "css_conf_thr": 0.0, "css_dist_thr": 3.0})
    model = PoseBHModel(ModelConfig(**TINY), cfg)
    model.bank.heatmaps = spy("heatmaps", model.bank.heatmaps)  # the reference path's
    model.embed.register_forward_hook(lambda m, i, o: seen["embed"].add(o.dtype))
    model.heads["coco"].register_forward_hook(lambda m, i, o: seen["heads"].add(o.dtype))
    obj = PoseBHObjective(model, cfg, 4, True, fast=fast)
    obj.start_epoch(3)  # every term: phm, PPC/PPD, negatives, CSS
    coco = first_batch(TinyKeypoints(0, 17, style="square"), 3)
    aic = first_batch(TinyKeypoints(1, 14, style="square"), 3)
    batch = {k: torch.cat([coco[k], aic[k]]) for k in coco}
    with torch.autocast("cpu", dtype=torch.bfloat16):
        terms = obj(batch)
    assert seen["heads"] == {torch.bfloat16}  # autocast is on for the rest of the model
    assert seen["embed"] == {torch.float32}
    assert seen["similarity"] == {torch.float32} and seen["heatmaps"] == {torch.float32}
    for k in TERMS:
        assert terms[k].dtype == torch.float32 and float(terms[k].detach()) > 0, k
