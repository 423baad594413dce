"""posebh.runs on tiny rendered data and tiny models: configs resolved once, runs end to end."""

from __future__ import annotations

import pytest
import torch

from posebh.configs import ConfigError
from posebh.experiments import GridPoint, Variant
from posebh.method.phases import boundaries
from posebh.method.posebh_model import PoseBHModel
from posebh.runs.config import EvalConfig, GridConfig, SampleConfig, TransferConfig
from posebh.runs.evaluate import UNSEEN_HEAD, evaluate_unseen, evaluate_variant
from posebh.runs.finetune import FinetuneRun, finetune_variant
from posebh.runs.grid import grid_variant, run_grid
from posebh.runs.transfer import build_transfer_model
from posebh.runs.variant import ScratchRun, train_variant

MODEL = dict(img_size=[32, 32], embed_dim=16, depth=1, num_heads=2, mlp_ratio=2.0,
             part_features=4, head_channels=8, datasets=["coco", "mpii"])
TRAIN = dict(epochs=1, batch_size=4, device="cpu", amp="none", num_threads=1,
             optim=dict(lr=1e-3, warmup_iters=1, lr_steps=[1]))
METHOD = dict(embed_dim=8, num_clusters=6, phases=[0.34, 0.67])
DATA = dict(sigma=2.0, seed=0, source="synthetic", sizes={})  # extra data keys are the data stage's
EVAL = EvalConfig(device="cpu", flip_test=False, dark=True, batch_size=8)


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> tuple[dict, dict]:
    from posebh.data.synthetic import render_split

    root = tmp_path_factory.mktemp("render")
    train, val = {}, {}
    for d in ("coco", "mpii"):
        for split, n, out in (("train", 8, train), ("val", 3, val)):
            coco = render_split(d, n, seed=0, image_dir=root / d / split, canvas=(64, 64))
            coco["info"]["image_root"] = str(root / d / split)
            out[d] = coco
    return train, val


@pytest.fixture(scope="module")
def baseline(sets) -> tuple[dict, list[dict]]:
    run = ScratchRun.resolve(Variant("baseline", "scratch"), MODEL, TRAIN, DATA)
    return train_variant(run, sets[0])


def test_scratch_run_merges_the_variant_over_the_profile_and_validates():
    run = ScratchRun.resolve(Variant("v", "scratch", model={"depth": 2}, train={"epochs": 3}),
                             MODEL, TRAIN, DATA)
    assert (run.model.depth, run.train.epochs, run.model.embed_dim) == (2, 3, 16)
    with pytest.raises(ConfigError, match=r"^train\.epochs: .*greater than or equal to 1 \(got 0\)$"):
        ScratchRun.resolve(Variant("v", "scratch", train={"epochs": 0}), MODEL, TRAIN, DATA)
    with pytest.raises(ConfigError, match=r"^model\.depht: unknown parameter"):
        ScratchRun.resolve(Variant("v", "scratch", model={"depht": 2}), MODEL, TRAIN, DATA)
    with pytest.raises(ConfigError, match=r"^data\.sigma: "):
        ScratchRun.resolve(Variant("v", "scratch"), MODEL, TRAIN, {**DATA, "sigma": 0})


def test_finetune_run_puts_the_lr_drops_at_the_phase_boundaries():
    train = {**TRAIN, "epochs": 10, "optim": {**TRAIN["optim"], "lr_steps": [7]}}
    posebh = FinetuneRun.resolve(Variant("p", "finetune"), train, METHOD, DATA)
    assert posebh.train.optim.lr_steps == boundaries(10, posebh.method.phases) == (3, 6)
    plain = FinetuneRun.resolve(Variant("u", "finetune", method=None), train, METHOD, DATA)
    assert plain.method is None and plain.train.optim.lr_steps == (7,)
    with pytest.raises(ConfigError, match=r"^finetune\.amp: "):
        FinetuneRun.resolve(Variant("p", "finetune"), {**train, "amp": "fp8"}, METHOD, DATA)


def test_train_variant_returns_a_fingerprinted_checkpoint_and_history(baseline):
    ckpt, history = baseline
    assert len(history) == 1 and history[0]["loss"] > 0
    assert ckpt["fingerprint"]["variant"] == "baseline"
    assert set(ckpt["fingerprint"]) == {"variant", "model", "method", "train", "sample", "data"}
    assert ckpt["train_cfg"]["epochs"] == 1 and "method_cfg" not in ckpt


def test_training_is_repeatable_bit_for_bit(sets, baseline):
    run = ScratchRun.resolve(Variant("baseline", "scratch"), MODEL, TRAIN, DATA)
    again, _ = train_variant(run, sets[0])
    assert all(torch.equal(again["state_dict"][k], v) for k, v in baseline[0]["state_dict"].items())


def test_evaluate_variant_scores_each_head_on_its_val_split(sets, baseline):
    predictions, metrics = evaluate_variant(baseline[0], sets[1], SampleConfig(), EVAL)
    assert set(metrics) == {"coco", "mpii"}
    assert 0.0 <= metrics["coco"]["AP"] <= 1.0 and "PCKh" in metrics["mpii"]
    assert len(predictions["coco"]) == sum(1 for a in sets[1]["coco"]["annotations"])
    _, only = evaluate_variant(baseline[0], sets[1], SampleConfig(), EVAL, only=("mpii",))
    assert set(only) == {"mpii"}


def test_the_evaluate_node_scores_coco_on_detector_boxes_where_the_split_has_them(sets, baseline):
    """The paper's COCO val protocol for every trained variant (conf/paper's val detections)."""
    from posebh.pipelines.variants import evaluate

    val = {d: dict(c) for d, c in sets[1].items()}
    val["coco"]["detections"] = [{"image_id": a["image_id"], "category_id": 1, "bbox": a["bbox"],
                                  "score": 1.0} for a in val["coco"]["annotations"]]
    kwargs = {"data": DATA, "evaluation": {"device": "cpu", "flip_test": False, "batch_size": 8}}
    _, metrics = evaluate(baseline[0], **kwargs, **{f"val_{d}": c for d, c in val.items()})
    _, plain = evaluate(baseline[0], **kwargs, **{f"val_{d}": c for d, c in sets[1].items()})
    assert "detector" not in plain["coco"] and "detector" not in metrics["mpii"]
    det = metrics["coco"]["detector"]  # detector boxes = the GT boxes here: the same AP
    assert det["AP"] == pytest.approx(metrics["coco"]["AP"], abs=1e-9)


def test_evaluate_unseen_scores_the_coco_head_on_ochuman_and_skips_empty_sets(sets, baseline,
                                                                            monkeypatch):
    """Table 10: OCHuman val/test are COCO-skeleton sets the COCO head scores (GT boxes)."""
    ochuman = {**sets[1]["coco"], "info": {**sets[1]["coco"]["info"], "dataset": "ochuman"}}
    metrics = evaluate_unseen(baseline[0], {"ochuman": ochuman, "ochuman_test": {}},
                              SampleConfig(), EVAL)
    assert set(metrics) == {"ochuman"} and 0.0 <= metrics["ochuman"]["AP"] <= 1.0
    _, own = evaluate_variant(baseline[0], sets[1], SampleConfig(), EVAL, only=("coco",))
    assert metrics["ochuman"]["AP"] == own["coco"]["AP"]  # the same images through the COCO head
    monkeypatch.setitem(UNSEEN_HEAD, "ochuman", "ap10k")  # a head the model lacks: skipped
    assert evaluate_unseen(baseline[0], {"ochuman": ochuman}, SampleConfig(), EVAL) == {}


def test_finetune_variant_builds_posebh_with_its_method_and_prototypes(sets, baseline):
    run = FinetuneRun.resolve(Variant("posebh", "finetune"), {**TRAIN, "epochs": 3}, METHOD, DATA)
    ckpt, history, protos = finetune_variant(run, baseline[0], sets[0])
    assert ckpt["method_cfg"]["embed_dim"] == 8 and len(history) == 3
    assert protos["bank"].shape == (17 + 16, 3, 8) and protos["labels"][17] == ["mpii", "right_ankle"]
    assert protos["init"].shape == protos["bank"].shape and not torch.equal(protos["init"], protos["bank"])
    assert len(protos["pixels"]) == 33 and sum(protos["pixels"]) > 0  # diagnostics: on by default
    assert history[-1]["never_pixelled"] == sum(n == 0 for n in protos["pixels"])
    assert "grad/ppc/embed" in history[0] and "adam_step/embed" in history[0]
    assert ckpt["fingerprint"]["method"] != baseline[0]["fingerprint"]["method"]


def test_grid_runs_only_known_points(sets, baseline):
    point = GridPoint("F_4", 6, "F", 4, {"embed_dim": 4})
    assert grid_variant(point, GridConfig()).method == {"embed_dim": 4}
    with pytest.raises(ValueError, match="unknown grid points"):
        run_grid(baseline[0], sets[0], sets[1], {"F_4": point}, GridConfig(run=("F_9",)),
                 TRAIN, METHOD, DATA, EVAL)
    out = run_grid(baseline[0], sets[0], sets[1], {"F_4": point},
                   GridConfig(run=("F_4",), evaluate=("coco",)), {**TRAIN, "epochs": 3}, METHOD,
                   DATA, EVAL)
    assert out["F_4"]["value"] == 4 and set(out["F_4"]["metrics"]) == {"coco"}


def test_transfer_models_take_the_init_backbone_and_the_frozen_embedding(sets, baseline):
    run = FinetuneRun.resolve(Variant("posebh", "finetune"), {**TRAIN, "epochs": 3}, METHOD, DATA)
    posebh, _, _ = finetune_variant(run, baseline[0], sets[0])
    sources = {"baseline": baseline[0], "aic": baseline[0], "posebh": posebh}
    scratch, m = build_transfer_model("interhand2d", "scratch", sources, METHOD)
    assert m is None and scratch.cfg.datasets == ("interhand2d",) and scratch.cfg.part_features == 0
    net, mcfg = build_transfer_model("interhand2d", "posebh", sources, METHOD)
    assert isinstance(net, PoseBHModel) and mcfg is not None and not mcfg.css
    emb = {k[len("embed."):]: v for k, v in posebh["state_dict"].items() if k.startswith("embed.")}
    assert all(torch.equal(net.embed.state_dict()[k], v) for k, v in emb.items())
    with pytest.raises(ValueError, match="unknown init 'imagenet'"):
        build_transfer_model("interhand2d", "imagenet", sources, METHOD)
    with pytest.raises(ConfigError, match=r"^transfer\.prototype_fraction: "):
        TransferConfig.from_dict({"prototype_fraction": 2})

