"""PoseBH objective and phases (supplement B-C): what each phase freezes and trains, and a tiny
three-phase training run that is bit-identical on CPU."""

from __future__ import annotations

import math

import pytest
import torch
from tiny import METHOD, TINY, TinyKeypoints, first_batch, kept_num_threads

from posebh.method.config import MethodConfig
from posebh.method.objective import PoseBHObjective
from posebh.method.phases import apply_phase, boundaries, phase_at
from posebh.method.posebh_model import PoseBHModel
from posebh.models.config import ModelConfig
from posebh.training.config import OptimConfig, TrainConfig
from posebh.training.optim import build_optimizer
from posebh.training.trainer import train_multihead


def points(idx: int, k: int) -> TinyKeypoints:
    """K keypoints at random cells of an 8x8 heatmap (3x3 blobs: 1 at the centre, 0.5 around),
    drawn into the 32x32 image as 4x4 squares; ~20% of the keypoints unlabelled."""
    return TinyKeypoints(idx, k, style="square", unlabelled=0.2)


LOOSE_CSS = {"css_conf_thr": 0.0, "css_dist_thr": 3.0}


def _model(**method: object) -> PoseBHModel:
    torch.manual_seed(0)
    return PoseBHModel(ModelConfig(**TINY), MethodConfig(**{**METHOD, **method}))


# ------------------------------------------------------------- objective on one dataset
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
    """PoseBH fine-tuning of a tiny model; state-dict snapshots (initial + after every epoch).
    CSS thresholds loose enough that the untrained tiny heads keep pairs (CSS is nonzero)."""
    model = _model(**LOOSE_CSS)
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
    """Any state entry under ``prefix`` changed: parameters *and* buffers (BN statistics)."""
    return any(not torch.equal(a[k], b[k]) for k in a if k.startswith(prefix) and skip not in k)


def _trained(a: dict, b: dict) -> set[str]:
    """Top-level modules whose trainable parameters changed between two snapshots (BatchNorm
    buffers excluded: they move in train mode without any gradient step)."""
    names = {n for n, _ in _model().named_parameters()}
    return {k.split(".")[0] for k in names if not torch.equal(a[k], b[k])}


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
    trainable = [{"embed"}, {"embed"}, {"embed", "heads"}, {"embed", "heads", "backbone"}]
    for e, want in enumerate(trainable):
        assert _trained(snaps[e], snaps[e + 1]) == want, e  # gradient steps, parameters only
        for frozen in {"embed", "heads", "backbone"} - want:  # weights and BN statistics
            assert not _changed(snaps[e], snaps[e + 1], frozen + "."), (e, frozen)
    assert (snaps[2]["cluster_owner"] == -1).all() and (snaps[3]["cluster_owner"] >= 0).all()
    assert torch.equal(snaps[3]["clusters"], snaps[4]["clusters"])  # K-means runs once
    assert not any(k.startswith("loss_") for k in hist[0]) and "neg" not in hist[0]
    assert {"loss_coco", "loss_aic", "neg", "css", "ppc", "ppd", "phm"} <= set(hist[2])
    assert hist[2]["css"] > 0 and hist[3]["css"] > 0  # CSS kept pairs and contributed
    assert all(math.isfinite(v) for h in hist for v in h.values())


@pytest.mark.parametrize("fast", [True, False])
def test_css_is_nonzero_and_its_gradient_reaches_the_heads(fast: bool):
    """The CSS term alone trains every head (phase 2: heads trainable, CSS on)."""
    model = _model(**LOOSE_CSS)
    obj = PoseBHObjective(model, model.method, 4, True, fast=fast)
    obj.start_epoch(2)
    assert obj.phase.css and obj.phase.train_heads
    batch = {k: torch.cat([a, b]) for (k, a), b in zip(
        first_batch(points(0, 17), 3).items(), first_batch(points(1, 14), 3).values())}
    css = obj(batch)["css"]
    assert css > 0 and css.requires_grad
    css.backward()
    for name in ("coco", "aic"):  # each head learns on the other dataset's rows
        grad = model.heads[name].final.weight.grad
        assert grad is not None and grad.abs().sum() > 0, name
    assert model.embed.out.weight.grad.abs().sum() > 0
