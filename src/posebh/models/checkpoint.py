"""Checkpoint dicts: model config + weights, and loading ViTPose++ weights into a plain ViT."""

from __future__ import annotations

import torch

from posebh.models.multihead import ModelConfig, MultiHeadPose


def to_checkpoint(model: MultiHeadPose, **extra: object) -> dict:
    """A plain dict (tensors + JSON-able config) that ``torch.load(weights_only=True)`` accepts."""
    return {"model_cfg": model.cfg.to_dict(), "state_dict": model.state_dict(), **extra}


def from_checkpoint(ckpt: dict) -> MultiHeadPose:
    model = MultiHeadPose(ModelConfig.from_dict(ckpt["model_cfg"]))
    model.load_state_dict(ckpt["state_dict"])
    return model


def split_expert_backbone(ckpt: dict, expert: int) -> dict[str, torch.Tensor]:
    """Backbone weights with expert ``expert`` merged into fc2 (ViTPose's ``tools/model_split.py``).

    The result loads into a backbone built with ``part_features=0``.
    """
    state = {k[len("backbone."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("backbone.")}
    out = {}
    for key, value in state.items():
        if ".mlp.experts." in key:
            continue
        if ".mlp.fc2." in key:
            prefix, kind = key.rsplit(".fc2.", 1)
            expert_key = f"{prefix}.experts.{expert}.{kind}"
            if expert_key in state:
                value = torch.cat([value, state[expert_key]], dim=0)
        out[key] = value
    return out
