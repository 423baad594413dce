"""``runs.adapt``: the adaptation recipes end to end on tiny rendered data and tiny checkpoints."""

from __future__ import annotations

import pytest
import torch

from posebh.method.config import MethodConfig
from posebh.method.posebh_model import PoseBHModel
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.runs.adapt import AdaptConfig, Setting, adapt, adapted_model
from posebh.runs.config import EvalConfig, SampleConfig, TransferConfig
from posebh.runs.transfer import _backbone_of, transfer
from posebh.zoo.checkpoint import to_checkpoint

MODEL = {"img_size": [32, 32], "embed_dim": 16, "depth": 2, "num_heads": 2, "mlp_ratio": 2.0,
         "part_features": 4, "head_channels": 8, "datasets": ["coco", "mpii"]}
METHOD = {"embed_dim": 8, "num_clusters": 6}
TRANSFER = TransferConfig(device="cpu", train={
    "epochs": 2, "batch_size": 4, "amp": "none", "num_threads": 1,
    "optim": {"lr": 1e-3, "warmup_iters": 1, "lr_steps": [2]}})
PARAMS = AdaptConfig(last_k=1, lora_rank=2, lora_alpha=4.0)
EVAL = EvalConfig(device="cpu", flip_test=False, dark=True, batch_size=8)
SAMPLE = SampleConfig()


@pytest.fixture(scope="module")
def sources() -> dict[str, dict]:
    """Untrained tiny checkpoints of both families (their weights only need to differ)."""
    torch.manual_seed(0)
    baseline = to_checkpoint(MultiHeadPose(ModelConfig.from_dict(MODEL)))
    posebh = to_checkpoint(PoseBHModel(ModelConfig.from_dict(MODEL), MethodConfig.from_dict(METHOD)))
    return {"baseline": baseline, "posebh": posebh}


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, tuple[dict, dict]]:
    from posebh.data.synthetic import render_split

    root = tmp_path_factory.mktemp("render")
    out = {}
    for t in ("interhand2d", "pw3d"):
        pair = []
        for split, n in (("train", 8), ("val", 3)):
            coco = render_split(t, n, seed=0, image_dir=root / t / split, canvas=(64, 64))
            coco["info"]["image_root"] = str(root / t / split)
            pair.append(coco)
        out[t] = (pair[0], pair[1])
    return out


@pytest.fixture(scope="module")
def every_recipe(sources, sets) -> tuple[dict, dict]:
    return adapt(sources, sets, TRANSFER, PARAMS, METHOD, SAMPLE, EVAL)


def test_every_recipe_runs_from_both_checkpoints_on_both_targets(every_recipe):
    metrics, timings = every_recipe
    assert list(metrics) == ["interhand2d", "pw3d"]
    for target, by_recipe in metrics.items():
        assert list(by_recipe) == ["full", "head", "last_k", "lora", "prototype_first"]
        assert list(by_recipe["prototype_first"]) == ["posebh"]  # needs the embedding module
        for recipe, by_init in by_recipe.items():
            for init, cell in by_init.items():
                assert cell["seeds"] == [0] and "std" not in cell  # one seed: no spread
                assert 0 < cell["share_trainable"] <= 1 and cell["final_loss"] > 0
                assert not {"seconds", "wall_s"} & set(cell)  # wall times stay out of metrics
                assert timings[target][recipe][init]["0"] > 0
        hand = metrics["interhand2d"]["full"]["baseline"]
        assert {"PCK@0.2", "AUC@30px", "EPE"} <= set(hand)
    assert {"AP", "PCK@0.2"} <= set(metrics["pw3d"]["head"]["posebh"])


def test_trainable_shares_order_as_the_recipes_say(every_recipe, sources):
    metrics, _ = every_recipe
    for init in ("baseline", "posebh"):
        share = {r: metrics["pw3d"][r][init]["share_trainable"]
                 for r in ("head", "lora", "last_k", "full")}
        assert share["head"] < share["lora"] < share["last_k"] < share["full"] == 1.0
    net, _ = adapted_model("pw3d", "baseline", "head", _setting(sources))
    assert metrics["pw3d"]["head"]["baseline"]["trainable_params"] == sum(
        p.numel() for p in net.heads.parameters())
    assert metrics["pw3d"]["prototype_first"]["posebh"]["share_trainable"] < 1  # embedding frozen


def _setting(sources, **params) -> Setting:
    p = AdaptConfig(**{**PARAMS.__dict__, **params})
    return Setting(sources, TRANSFER, p, METHOD, SAMPLE, EVAL, torch.device("cpu"))


def test_recipes_from_the_posebh_checkpoint_take_its_backbone_under_a_plain_head(sources):
    net, mcfg = adapted_model("interhand2d", "posebh", "head", _setting(sources))
    assert type(net) is MultiHeadPose and mcfg is None
    want = _backbone_of(sources["posebh"])
    assert all(torch.equal(net.backbone.state_dict()[k], v) for k, v in want.items())
    assert not any(p.requires_grad for p in net.backbone.parameters())
    proto, mcfg = adapted_model("interhand2d", "posebh", "prototype_first", _setting(sources))
    assert isinstance(proto, PoseBHModel) and mcfg is not None
    with pytest.raises(ValueError, match=r"^adapt\.last_k: 3 blocks asked of a ViT with 2"):
        adapted_model("interhand2d", "baseline", "last_k", _setting(sources, last_k=3))


@pytest.mark.parametrize(("recipe", "init"), [("prototype_first", "posebh"), ("full", "baseline")])
def test_the_rows_shared_with_table_12_are_exactly_the_transfer_stage_runs(sources, sets, recipe,
                                                                           init):
    """prototype_first = the transfer stage's PoseBH init; full from the baseline = its baseline
    init (same builder, seed, config and loop: the same numbers to the bit)."""
    train, val = sets["interhand2d"]
    ours, _ = adapt(sources, {"interhand2d": (train, val)}, TRANSFER,
                    AdaptConfig(targets=("interhand2d",), inits=(init,), recipes=(recipe,)),
                    METHOD, SAMPLE, EVAL)
    theirs, _ = transfer("interhand2d", sources, train, val,
                         TransferConfig(**{**TRANSFER.__dict__, "inits": (init,)}), METHOD,
                         SAMPLE, EVAL)
    cell = ours["interhand2d"][recipe][init]
    assert {k: cell[k] for k in theirs[init]} == theirs[init]


def test_seeds_give_a_spread_and_a_rerun_is_bit_identical(sources, sets):
    params = AdaptConfig(targets=("interhand2d",), inits=("baseline",), recipes=("head", "lora"),
                         seeds=(0, 1), last_k=1, lora_rank=2, lora_alpha=4.0)
    one = {"interhand2d": sets["interhand2d"]}
    first, timings = adapt(sources, one, TRANSFER, params, METHOD, SAMPLE, EVAL)
    again, _ = adapt(sources, one, TRANSFER, params, METHOD, SAMPLE, EVAL)
    assert first == again
    cell = first["interhand2d"]["lora"]["baseline"]
    assert cell["seeds"] == [0, 1] and set(timings["interhand2d"]["lora"]["baseline"]) == {"0", "1"}
    assert {"PCK@0.2", "AUC@30px", "EPE", "final_loss"} <= set(cell["std"])
    assert cell["std"]["final_loss"] > 0  # the seeds differ (head init, LoRA init, data order)
