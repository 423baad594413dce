"""Per-dataset plain models from a trained multi-head / PoseBH checkpoint (ViTPose's model_split).

For dataset d: every block's fc2 = shared rows + expert-d rows (``split_expert_backbone``),
head d only (a merged UniDet-style head is cut to d's channels); the embedding module, the
prototype bank and the K-means buffers are training-time modules and are dropped. The result
is our own checkpoint dict of a ``MultiHeadPose`` with ``datasets=[d]`` and ``part_features=0``,
so deployed PoseBH and deployed ViTPose++ have the same architecture and FLOPs.
"""

from __future__ import annotations

from dataclasses import replace

from posebh.models.config import ModelConfig
from posebh.models.merged import merged_label_space
from posebh.zoo.checkpoint import split_expert_backbone


def deploy(ckpt: dict, dataset: str) -> dict:
    """Plain single-dataset checkpoint ``{model_cfg, state_dict, deployed_from}`` of ``dataset``."""
    cfg = ModelConfig.from_dict(ckpt["model_cfg"])
    if dataset not in cfg.datasets:
        raise ValueError(f"deploy: {dataset!r} is not one of the model's datasets {cfg.datasets}")
    expert = cfg.datasets.index(dataset)
    state = {f"backbone.{k}": v for k, v in split_expert_backbone(ckpt, expert).items()}
    weights = ckpt["state_dict"]
    if cfg.label_space == "merged":
        channels = merged_label_space(cfg.datasets)[1][dataset]
        prefix = "heads._merged."
    else:
        channels, prefix = None, f"heads.{dataset}."
    for key, value in weights.items():
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix):]
        if channels is not None and rest.startswith("final."):
            value = value[channels]  # (K_merged, ...) -> (K_d, ...)
        state[f"heads.{dataset}.{rest}"] = value
    plain = replace(cfg, datasets=(dataset,), part_features=0, label_space="per_dataset")
    return {"model_cfg": plain.to_dict(), "state_dict": state,
            "deployed_from": {"dataset": dataset, "expert": expert}}


def deploy_all(ckpt: dict) -> dict[str, dict]:
    """``deploy`` for every dataset of the checkpoint, keyed by dataset name."""
    return {d: deploy(ckpt, d) for d in ModelConfig.from_dict(ckpt["model_cfg"]).datasets}
