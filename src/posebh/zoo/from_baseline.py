"""A fine-tune's starting model from a trained baseline checkpoint (PoseBH fine-tunes ViTPose++, §4.2)."""

from __future__ import annotations

import torch

from posebh.experiments import merged
from posebh.method.config import MethodConfig
from posebh.models.merged import merged_label_space
from posebh.models.multihead import MultiHeadPose
from posebh.zoo.checkpoint import build_model

NEW_MODULES = ("embed.", "bank.", "clusters", "cluster_owner")


def init_from_baseline(baseline: dict, model_override: dict | None = None,
                       method: MethodConfig | dict | None = None) -> MultiHeadPose:
    """The baseline's weights in a (PoseBH or label-merged) model; new modules keep their init.

    A merged head (UniDet-style) starts from the first dataset head's deconvolutions, and each
    merged output channel from the mean of the baseline head rows that share its name.
    """
    cfg = merged(baseline["model_cfg"], model_override)
    model = build_model(cfg, method)
    state = baseline["state_dict"]
    if model.cfg.label_space == "merged":
        _init_merged_head(model, state)
        state = {k: v for k, v in state.items() if not k.startswith("heads.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    bad = [k for k in missing if not k.startswith(NEW_MODULES + ("heads.",))]
    if unexpected or bad:
        raise ValueError(f"baseline checkpoint does not fit: missing {bad[:5]}, unexpected {unexpected[:5]}")
    return model


@torch.no_grad()
def _init_merged_head(model: MultiHeadPose, state: dict[str, torch.Tensor]) -> None:
    datasets = tuple(model.cfg.datasets)
    shared = model.heads["_merged"]
    first = f"heads.{datasets[0]}."
    shared.up.load_state_dict({k[len(first) + 3:]: v for k, v in state.items()
                               if k.startswith(first + "up.")})
    names, index = merged_label_space(datasets)
    weight = torch.zeros_like(shared.final.weight)
    bias = torch.zeros_like(shared.final.bias)
    count = torch.zeros(len(names))
    for d in datasets:
        for k, c in enumerate(index[d]):
            weight[c] += state[f"heads.{d}.final.weight"][k]
            bias[c] += state[f"heads.{d}.final.bias"][k]
            count[c] += 1
    shared.final.weight.copy_(weight / count[:, None, None, None])
    shared.final.bias.copy_(bias / count)

