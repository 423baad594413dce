"""Adaptation recipes: which parameters of a transfer model train (the survey's recipes, #16).

``RECIPES`` is the table: recipe -> regexes over parameter names (matched from the start) of what
trains; everything else gets ``requires_grad=False`` before the optimiser is built, so a frozen
weight is in no parameter group (no update, no weight decay). ``FrozenInEval`` then keeps every
module whose parameters are all frozen in eval mode each epoch (the trainer calls
``model.train()``): BatchNorm statistics and drop-path of a frozen part stay fixed (the ViT's
LayerNorms have no statistics; their affine weights are frozen with their block). The PoseBH
transfer phases freeze the same way (``method.phases``).

| recipe | trains |
|---|---|
| full | everything |
| head | the new head (backbone frozen: linear-probe style) |
| last_k | the new head, the last k transformer blocks and the ViT's final LayerNorm |
| lora | the new head and LoRA adapters on every block's attention qkv / proj (``lora.py``) |
| prototype_first | what PoseBH's transfer schedule says per epoch (``phases.transfer_phase_at``) |
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

from posebh.training import lora
from posebh.training.objective import Objective

BLOCKS = "{blocks}"  # in a pattern: the last k blocks' indices, "2|3" for k = 2 of 4


@dataclass(frozen=True)
class Recipe:
    """What trains (``trainable``: parameter-name regexes); ``lora``: add adapters first;
    ``scheduled``: the PoseBH objective's transfer phases decide instead (PoseBH model only)."""

    description: str
    trainable: tuple[str, ...] = ()
    lora: bool = False
    scheduled: bool = False


RECIPES: dict[str, Recipe] = {
    "full": Recipe("full fine-tune", (r"",)),
    "head": Recipe("new head on a frozen backbone", (r"heads\.",)),
    "last_k": Recipe("last k blocks + new head",
                     (r"heads\.", rf"backbone\.vit\.blocks\.({BLOCKS})\.", r"backbone\.vit\.norm\.")),
    "lora": Recipe("LoRA on attention + new head", (r"heads\.", lora.LORA_PARAM), lora=True),
    "prototype_first": Recipe("PoseBH: prototypes first, embedding frozen", scheduled=True),
}


def last_blocks(depth: int, k: int) -> str:
    """The regex alternation of the last ``k`` of ``depth`` block indices ("2|3" for 2 of 4)."""
    if not 1 <= k <= depth:
        raise ValueError(f"adapt.last_k: {k} blocks asked of a ViT with {depth} (1..{depth})")
    return "|".join(str(i) for i in range(depth - k, depth))


def apply_recipe(model: nn.Module, name: str, last_k: int = 2, lora_rank: int = 4,
                 lora_alpha: float = 8.0) -> nn.Module:
    """Set ``requires_grad`` of ``model`` (a transfer model: ``backbone.vit`` + ``heads``) as
    recipe ``name`` says, adding LoRA adapters first where it asks; returns ``model``."""
    if name not in RECIPES:
        raise ValueError(f"adapt.recipes: unknown recipe {name!r} ({' | '.join(RECIPES)})")
    recipe = RECIPES[name]
    if recipe.lora:
        lora.add_lora(model.backbone, lora_rank, lora_alpha)
    if recipe.scheduled:
        return model
    blocks = last_blocks(len(model.backbone.vit.blocks), last_k)
    patterns = [re.compile(p.replace(BLOCKS, blocks)) for p in recipe.trainable]
    for pname, p in model.named_parameters():
        p.requires_grad_(any(pat.match(pname) for pat in patterns))
    return model


def frozen_to_eval(model: nn.Module) -> None:
    """Eval mode for every module that has parameters and none of them trains."""
    for m in model.modules():
        params = list(m.parameters())
        if params and not any(p.requires_grad for p in params):
            m.eval()


def count(model: nn.Module, names: set[str] | None = None) -> int:
    """Number of parameter values of ``model`` (only those named in ``names`` when given)."""
    return sum(p.numel() for n, p in model.named_parameters() if names is None or n in names)


class FrozenInEval:
    """Objective wrapper: after the wrapped ``start_epoch`` (which may change what trains, as
    PoseBH's phases do) the frozen modules go to eval mode, and ``trained`` collects the names of
    every parameter that trained in some epoch."""

    def __init__(self, objective: Objective, model: nn.Module) -> None:
        self.objective, self.model = objective, model
        self.trained: set[str] = set()

    def start_epoch(self, epoch: int) -> dict:
        extra = self.objective.start_epoch(epoch)
        frozen_to_eval(self.model)
        self.trained |= {n for n, p in self.model.named_parameters() if p.requires_grad}
        return extra

    def __call__(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.objective(batch)

    def after_step(self) -> None:
        self.objective.after_step()
