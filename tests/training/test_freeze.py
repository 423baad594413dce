"""Adaptation recipes: each trains exactly its parameters, the rest stays bit-identical and in
eval mode (#16 item 5). Expected sets are written out here, not read from ``freeze.RECIPES``."""

from __future__ import annotations

import pytest
import torch
from tiny import TINY, TinyKeypoints, kept_num_threads

from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.training.config import OptimConfig, TrainConfig
from posebh.training.freeze import RECIPES, FrozenInEval, apply_recipe, count, frozen_to_eval
from posebh.training.objective import MultiHeadObjective
from posebh.training.trainer import train_multihead

DEPTH, K = 3, 2  # last_k: blocks 1 and 2 of 0..2
CFG = TrainConfig(epochs=2, batch_size=4, amp="none", heads_on_full_batch=False,
                  optim=OptimConfig(lr=3e-3, warmup_iters=1, lr_steps=()))


def model(drop_path: float = 0.0) -> MultiHeadPose:
    """A single-head transfer-shaped model (one dataset, no experts), as build_transfer_model makes."""
    torch.manual_seed(0)
    return MultiHeadPose(ModelConfig(**{**TINY, "depth": DEPTH, "part_features": 0,
                                        "datasets": ("coco",), "drop_path_rate": drop_path}))


def expected(recipe: str, names: list[str]) -> set[str]:
    """What each recipe must train, by name."""
    head = {n for n in names if n.startswith("heads.")}
    blocks = {n for n in names if n.startswith(("backbone.vit.blocks.1.", "backbone.vit.blocks.2.",
                                                "backbone.vit.norm."))}
    return {"full": set(names), "head": head, "last_k": head | blocks,
            "lora": head | {n for n in names if ".lora_A." in n or ".lora_B." in n}}[recipe]


def trained_by(recipe: str) -> tuple[MultiHeadPose, dict[str, torch.Tensor], FrozenInEval]:
    """Apply ``recipe`` and train two epochs; (model, weights before training, objective)."""
    net = apply_recipe(model(), recipe, last_k=K, lora_rank=2, lora_alpha=4.0)
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    objective = FrozenInEval(MultiHeadObjective(net, CFG.heads_on_full_batch), net)
    with kept_num_threads():
        train_multihead(net, [TinyKeypoints(0, 17, style="blob", seed="epoch")], CFG,
                        torch.device("cpu"), objective, progress=False)
    return net, before, objective


@pytest.mark.parametrize("recipe", ["full", "head", "last_k", "lora"])
def test_each_recipe_trains_exactly_its_parameters(recipe):
    net = apply_recipe(model(), recipe, last_k=K, lora_rank=2, lora_alpha=4.0)
    names = [n for n, _ in net.named_parameters()]
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    assert trainable == expected(recipe, names)
    assert any(n.startswith("heads.") for n in trainable)  # every recipe trains the new head


@pytest.mark.parametrize("recipe", ["head", "last_k", "lora"])
def test_frozen_weights_are_bit_identical_after_training_and_the_rest_moves(recipe):
    net, before, objective = trained_by(recipe)
    names = list(before)
    train = expected(recipe, names)
    for n, p in net.named_parameters():
        if n not in train:  # no gradient, no weight decay: not in the optimiser at all
            assert torch.equal(p, before[n]), n
    moved = {n for n, p in net.named_parameters() if not torch.equal(p, before[n])}
    assert {n for n in train if n.endswith("heads.coco.final.weight")} <= moved
    assert moved <= train
    assert objective.trained == train
    if recipe == "lora":  # the adapters trained: B left zero would make LoRA a no-op
        assert any(".lora_B." in n for n in moved)
    if recipe == "last_k":
        assert any(n.startswith("backbone.vit.blocks.2.") for n in moved)


def test_frozen_modules_run_in_eval_mode_every_epoch():
    net = apply_recipe(model(drop_path=0.2), "last_k", last_k=K)
    objective = FrozenInEval(MultiHeadObjective(net, False), net)
    net.train()  # what the trainer does at each epoch start, before the objective's start_epoch
    objective.start_epoch(0)
    blocks = net.backbone.vit.blocks
    assert not blocks[0].training and not blocks[0].drop_path1.training  # frozen: no drop-path
    assert not net.backbone.vit.patch_embed.training
    assert blocks[1].training and blocks[2].training and net.heads.training
    head = apply_recipe(model(), "head")
    frozen_to_eval(head.train())
    assert not head.backbone.training and head.heads.training


def test_frozen_backbone_features_do_not_depend_on_the_mode():
    """With drop-path on, a frozen backbone in eval mode gives the same features twice."""
    net = apply_recipe(model(drop_path=0.5), "head")
    FrozenInEval(MultiHeadObjective(net, False), net).start_epoch(0)
    x, d = torch.randn(2, 3, 32, 32), torch.zeros(2, dtype=torch.long)
    assert torch.equal(net.backbone(x, d), net.backbone(x, d))


def test_count_and_share():
    net = apply_recipe(model(), "head")
    head = sum(p.numel() for p in net.heads.parameters())
    assert count(net, {n for n, p in net.named_parameters() if p.requires_grad}) == head
    assert count(net) == sum(p.numel() for p in net.parameters()) > head


def test_bad_recipe_and_last_k_are_one_line_errors():
    with pytest.raises(ValueError, match=r"^adapt\.recipes: unknown recipe 'adapter'"):
        apply_recipe(model(), "adapter")
    with pytest.raises(ValueError, match=r"^adapt\.last_k: 4 blocks asked of a ViT with 3"):
        apply_recipe(model(), "last_k", last_k=4)


def test_the_scheduled_recipe_leaves_freezing_to_the_objective():
    net = apply_recipe(model(), "prototype_first")
    assert RECIPES["prototype_first"].scheduled
    assert all(p.requires_grad for p in net.parameters())
