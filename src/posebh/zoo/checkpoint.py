"""Checkpoint dicts <-> models of both families (ViTPose++ multi-head, PoseBH); expert splitting."""

from __future__ import annotations

import torch

from posebh.method.config import MethodConfig
from posebh.method.posebh_model import PoseBHModel
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose


def to_checkpoint(model: MultiHeadPose, **extra: object) -> dict:
    """A plain dict (tensors + JSON-able config) that ``torch.load(weights_only=True)`` accepts."""
    ckpt = {"model_cfg": model.cfg.to_dict(), "state_dict": model.state_dict(), **extra}
    if isinstance(model, PoseBHModel):
        ckpt["method_cfg"] = model.method.to_dict()
    return ckpt


def build_model(model_cfg: ModelConfig | dict, method_cfg: MethodConfig | dict | None = None
                ) -> MultiHeadPose:
    """MultiHeadPose, or PoseBHModel when a method config is given."""
    cfg = ModelConfig.from_dict(model_cfg)
    if method_cfg is None:
        return MultiHeadPose(cfg)
    return PoseBHModel(cfg, MethodConfig.from_dict(method_cfg))


def from_checkpoint(ckpt: dict) -> MultiHeadPose:
    model = build_model(ckpt["model_cfg"], ckpt.get("method_cfg"))
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
