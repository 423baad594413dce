"""Top-down datasets over the COCO dicts the pipelines pass around."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from posebh import skeletons
from posebh.data.dataset import TopDownDataset
from posebh.models.config import ModelConfig
from posebh.runs.config import SampleConfig


def make_dataset(coco: dict, name: str, dataset_idx: int, model_cfg: ModelConfig,
                 sample: SampleConfig, train: bool, max_keypoints: int | None = None
                 ) -> TopDownDataset:
    """A TopDownDataset over one COCO dict; image root recorded in ``coco['info']``."""
    h, w = model_cfg.img_size
    return TopDownDataset(
        coco, Path(coco["info"]["image_root"]), dataset=name, dataset_idx=dataset_idx,
        input_size=(w, h), heatmap_size=(w // 4, h // 4), sigma=sample.sigma, train=train,
        seed=sample.seed, max_keypoints=max_keypoints, aug=sample.aug_dict(),
    )


def select(sets: Mapping[str, dict], datasets: Sequence[str], split: str) -> list[dict]:
    """``sets[d]`` for every dataset of a model, in its head order; a missing one is named."""
    missing = [d for d in datasets if d not in sets]
    if missing:
        raise KeyError(f"no {split} split for {missing} (have {sorted(sets)})")
    return [sets[d] for d in datasets]


def training_sets(sets: Mapping[str, dict], model_cfg: ModelConfig,
                  sample: SampleConfig) -> list[TopDownDataset]:
    """One training dataset per head, targets padded to the largest skeleton of the model."""
    kmax = max(skeletons.get(d).num_keypoints for d in model_cfg.datasets)
    return [make_dataset(c, d, i, model_cfg, sample, train=True, max_keypoints=kmax)
            for i, (d, c) in enumerate(zip(model_cfg.datasets,
                                           select(sets, model_cfg.datasets, "train")))]


def data_digest(sets: Mapping[str, dict], datasets: Sequence[str]) -> str:
    """A short hash of the annotations a run trains on (part of its fingerprint)."""
    h = hashlib.sha256()
    for d in datasets:
        h.update(json.dumps(sets[d].get("annotations", []), sort_keys=True).encode())
    return h.hexdigest()[:16]
