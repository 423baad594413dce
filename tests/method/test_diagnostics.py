"""Mechanism diagnostics (method/diagnostics.py, diagnostic_measures.py): the measures, the
probe's counts, and that a run with diagnostics gives bit-identical weights to one without."""

from __future__ import annotations

import math

import pytest
import torch
from tiny import METHOD, TINY, TinyKeypoints, first_batch, kept_num_threads

from posebh.method.config import MethodConfig
from posebh.method.diagnostic_measures import adam_step_ratio, drift, heatmap_pck, term_grad_norms
from posebh.method.diagnostics import Diagnostics
from posebh.method.global_css import reliable_pairs
from posebh.method.global_pixels import foreground_all
from posebh.method.objective import PoseBHObjective
from posebh.method.posebh_model import PoseBHModel
from posebh.models.config import ModelConfig
from posebh.training.config import OptimConfig, TrainConfig
from posebh.training.trainer import train_multihead

EPOCHS = 4  # phases 1, 2, 3, 3 (CSS from epoch 1): the backbone draws drop-path noise twice


def _model() -> PoseBHModel:
    torch.manual_seed(0)  # drop path: the backbone draws random numbers in phase 3
    return PoseBHModel(ModelConfig(**{**TINY, "depth": 2}, drop_path_rate=0.2),  # depth 1: rate 0
                       MethodConfig(**METHOD, css_conf_thr=0.0,  # every peak > 0 a CSS candidate
                                    phases=(0.25, 0.5), css_start=0.25))


def _sets() -> list[TinyKeypoints]:
    return [TinyKeypoints(0, 17, unlabelled=0.2), TinyKeypoints(1, 14, unlabelled=0.2)]


def _train(diagnostics: bool) -> tuple[dict, list[dict], Diagnostics | None]:
    model = _model()
    cfg = TrainConfig(epochs=EPOCHS, batch_size=4, num_threads=1, device="cpu", amp="none",
                      optim=OptimConfig(lr=3e-3, warmup_iters=1, lr_steps=()))
    obj = PoseBHObjective(model, model.method, EPOCHS, True)
    diag = Diagnostics(model, obj) if diagnostics else None
    with kept_num_threads():
        hist = train_multihead(model, _sets(), cfg, torch.device("cpu"), obj, progress=False,
                               epoch_end=None if diag is None else diag.end_epoch)
    return {k: v.clone() for k, v in model.state_dict().items()}, hist, diag


@pytest.fixture(scope="module")
def runs() -> tuple:
    return _train(True), _train(False)


def test_diagnostics_leave_the_trained_weights_bit_identical(runs):
    (on, hist_on, _), (off, hist_off, _) = runs
    assert on.keys() == off.keys()
    assert all(torch.equal(on[k], off[k]) for k in on), [k for k in on if not torch.equal(on[k], off[k])]
    for a, b in zip(hist_on, hist_off):  # the training fields too (seconds aside)
        assert all(a[k] == b[k] for k in b if k not in ("seconds", "images_per_s"))


def test_history_holds_every_diagnostic_per_epoch(runs):
    (_, hist, diag), _ = runs
    first, css, last = hist[0], hist[1], hist[3]
    assert {"grad/ppc/embed", "grad/phm/embed", "value/ppc", "adam_step/embed",
            "adam_step_noeps/embed", "adam_rms/embed", "drift_init", "drift_epoch", "pck/proto",
            "pck/head", "never_pixelled", "diag_seconds"} <= set(first)
    assert "grad/ppc/backbone" not in first and "grad/mse/heads" not in first  # frozen in phase 1
    assert "css_kept/coco/aic" not in first  # CSS off in phase 1
    assert {"grad/mse/heads", "grad/css/heads", "grad/css/embed", "grad/neg/embed"} <= set(css)
    assert css["css_cand/coco/aic"] > 0 and css["css_cand/aic/coco"] > 0
    assert 0 <= css["css_kept/coco/aic"] <= css["css_cand/coco/aic"]
    keys = {k for h in hist for k in h}  # dvclive nests on "/": no key may be another's folder
    assert not [a for a in keys for b in keys if b.startswith(a + "/")]
    assert css["css_kept_total"] == sum(v for k, v in css.items() if k.startswith("css_kept/"))
    assert last["grad/total/backbone"] > 0 and last["grad/mse/backbone"] > 0
    assert first["drift_init"] > 0 and first["drift_epoch"] == first["drift_init"]
    assert last["drift_epoch"] < first["drift_epoch"] / 10  # the bank moves in phase 1 only
    assert all(0 < h["adam_step/embed"] <= h["adam_step_noeps/embed"] for h in hist)
    # 17 COCO + 14 AIC keypoints, all drawn (20 % unlabelled per sample): every one got pixels
    assert hist[-1]["never_pixelled"] == 0 and len(diag.pixel_counts()) == 31
    assert min(diag.pixel_counts()) > 0


def test_probe_counts_the_css_pairs_and_pixels_the_objective_sees():
    model = _model()
    obj = PoseBHObjective(model, model.method, EPOCHS, True)
    diag = Diagnostics(model, obj)
    obj.start_epoch(1)  # phase 2, CSS on
    batch = {k: torch.cat([first_batch(s, 3)[k] for s in _sets()]) for k in ("image", "target",
                                                                             "target_weight",
                                                                             "dataset_idx")}
    obj(batch)
    with torch.no_grad():  # the same pairs and pixels, recomputed
        feats = model.backbone(batch["image"], batch["dataset_idx"])
        emb = model.embed(feats)
        heads = model.run_heads(feats, batch["dataset_idx"], True)
        index = obj._index(emb.device)
        b, g, _, _ = reliable_pairs([heads[n] for n in ("coco", "aic")], emb,
                                    model.bank.prototypes, batch["dataset_idx"], index, model.method)
        px = foreground_all(emb, batch["target"], batch["target_weight"], batch["dataset_idx"], index)
    coco_on_aic = int((g < 17).sum())  # COCO head candidates: all on AIC rows
    assert int(diag.kept.sum()) == len(b) > 0 and int(diag.kept[0 * 2 + 1]) == coco_on_aic
    peak = torch.cat([heads[n].flatten(2).amax(dim=2) for n in ("coco", "aic")], dim=1)  # (B, J)
    other = index.dataset[None, :] != batch["dataset_idx"][:, None]  # unlabelled pairs
    assert diag.candidates.tolist() == [0, int((other & (peak > 0))[3:, :17].sum()),
                                        int((other & (peak > 0))[:3, 17:].sum()), 0]
    assert diag.pixel_counts() == torch.bincount(px.cls, minlength=31).tolist()
    assert diag.batch is not None and torch.equal(diag.batch["image"], batch["image"])


def test_adam_step_ratio_is_halved_when_the_gradient_is_adams_eps():
    for g, expected in ((1e-8, 0.5), (1.0, 1.0)):
        p = torch.nn.Parameter(torch.zeros(10))
        opt = torch.optim.AdamW([p], lr=1e-3, eps=1e-8)
        assert adam_step_ratio(opt, [p]) is None  # no state before the first step
        p.grad = torch.full((10,), g)
        opt.step()
        ratio, rms = adam_step_ratio(opt, [p])
        assert ratio == pytest.approx(expected, rel=1e-4) and rms == pytest.approx(g, rel=1e-4)
        assert adam_step_ratio(opt, [p], eps=0.0)[0] == pytest.approx(1.0, rel=1e-4)


def test_term_grad_norms_split_each_terms_gradient_by_module():
    a, b = torch.nn.Linear(3, 1, bias=False), torch.nn.Linear(3, 1, bias=False)
    x = torch.tensor([[3.0, 0.0, 4.0]])
    terms = {"only_a": a(x).sum(), "both": (a(x) + 2 * b(x)).sum(), "const": torch.tensor(1.0)}
    norms = term_grad_norms(terms, {"a": list(a.parameters()), "b": list(b.parameters())})
    assert set(norms) == {"only_a", "both"}
    assert norms["only_a"] == {"a": pytest.approx(5.0), "b": 0.0}
    assert norms["both"] == {"a": pytest.approx(5.0), "b": pytest.approx(10.0)}
    assert a.weight.grad is None and b.weight.grad is None


def test_drift_and_heatmap_pck():
    bank = torch.nn.functional.normalize(torch.randn(4, 2, 8), dim=-1)
    assert torch.allclose(drift(bank, bank), torch.zeros(4, 2), atol=1e-6)
    assert torch.allclose(drift(-bank, bank), torch.full((4, 2), 2.0))
    target = torch.zeros(1, 3, 16, 12)
    target[0, 0, 5, 5] = target[0, 1, 5, 5] = target[0, 2, 5, 5] = 1.0
    pred = torch.zeros(1, 3, 16, 12)
    pred[0, 0, 5, 6] = 1.0  # 1 px off: within 0.1 x 20 = 2 px
    pred[0, 1, 12, 5] = 1.0  # 7 px off
    pred[0, 2, 5, 5] = 1.0  # exact, but unlabelled
    assert math.hypot(16, 12) == 20.0
    assert heatmap_pck(pred, target, torch.tensor([[1.0, 1.0, 0.0]])) == (1, 2)
