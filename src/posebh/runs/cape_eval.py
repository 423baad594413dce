"""CAPE on frozen features (issue #16 item 3): few-shot keypoints of unseen skeletons from the
baseline's and PoseBH's features, scored by PCK@0.2 over seeded episodes (POMNet / MP-100).

Input: checkpoints by model name and a folder in the MP-100 file format,
``<root>/<annotations>/mp100_split{k}_{part}.json`` with the images under ``<root>/<images>/``.
Each split's novel (``part``, by default test) categories are cropped once per model and
category (``evaluation.cape_features``; the expert and head of the category's domain) and
matched by every configured matcher (``evaluation.cape_matchers``): support prototypes on a
feature kind, or a new 1x1 head fine-tuned on the supports (fewer episodes: a prefix of the
prototype matchers' episodes). Metrics in percent (``evaluation.cape_summary``); wall times go to
the log. A root without the annotation folder (a profile without MP-100-format data) gives empty
metrics: the report shows the section as not run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from posebh import configs
from posebh.data.errors import DataError
from posebh.evaluation.bootstrap import BootstrapConfig
from posebh.evaluation.cape_episodes import CapeInstance, sample_episodes
from posebh.evaluation.cape_features import (
    DOMAIN_EXPERTS,
    category_domains,
    expert_source,
    extract_features,
)
from posebh.evaluation.cape_matchers import finetune_predictions, prototype_predictions
from posebh.evaluation.cape_mp100 import mp100_file, read_mp100
from posebh.evaluation.cape_pck import CAPE_PCK_THR, evaluate_cape
from posebh.evaluation.cape_summary import episode_scores, matcher_metrics, paired_difference
from posebh.training.trainer import select_device
from posebh.zoo.checkpoint import from_checkpoint

log = logging.getLogger(__name__)


@configs.strict
@dataclass
class MatcherSpec:
    """One matcher: the model whose frozen features it reads, the feature kind, the method."""

    model: str
    features: Literal["embedding", "head", "backbone"]
    method: Literal["prototype", "finetune"] = "prototype"

    @property
    def name(self) -> str:
        """``posebh/embedding``, ``baseline/head``, ``baseline/finetune`` (on head features)."""
        if self.method == "prototype":
            return f"{self.model}/{self.features}"
        return f"{self.model}/finetune" + ("" if self.features == "head" else f"-{self.features}")


DEFAULT_MATCHERS = (
    MatcherSpec("posebh", "embedding"),  # (a) PoseBH embedding + support prototypes
    MatcherSpec("posebh", "head"),  # separates the embedding module from PoseBH's backbone
    MatcherSpec("baseline", "head"),  # (b) the ProtoNet-style control on the baseline
    MatcherSpec("baseline", "backbone"),
    MatcherSpec("baseline", "head", "finetune"),  # (c) POMNet's Fine-tune, on frozen features
)


@configs.strict
@dataclass
class CapeEvalConfig:
    """Episodes, matchers, the fine-tune's optimiser, the data layout and the bootstrap."""

    shots: tuple[Annotated[int, Field(ge=1)], ...] = (1, 5)
    num_queries: Annotated[int, Field(ge=1)] = 15
    num_episodes: Annotated[int, Field(ge=1)] = 100  # per category (POMNet's test: 200)
    finetune_episodes: Annotated[int, Field(ge=1)] = 20  # a prefix of the episodes above
    finetune_steps: Annotated[int, Field(ge=1)] = 100
    finetune_lr: Annotated[float, Field(gt=0)] = 0.001  # docs/method.md: chosen on a sanity set
    finetune_sigma: Annotated[float, Field(gt=0)] = 2.0  # heat-map px
    splits: tuple[Annotated[int, Field(ge=1)], ...] = (1, 2, 3, 4, 5)
    part: Literal["train", "val", "test"] = "test"
    annotations: str = "annotations"  # under the root
    images: str = "images"  # under the root; the files' ``file_name`` are relative to it
    experts: dict[str, str] = field(default_factory=lambda: dict(DOMAIN_EXPERTS))
    default_expert: str | None = None  # for a supercategory not in ``experts``
    matchers: tuple[MatcherSpec, ...] = DEFAULT_MATCHERS
    differences: tuple[tuple[str, str], ...] = (("posebh/embedding", "baseline/head"),
                                                ("posebh/embedding", "posebh/head"))
    seed: Annotated[int, Field(ge=0)] = 0
    resamples: Annotated[int, Field(ge=10)] = 1000
    level: Annotated[float, Field(gt=0, lt=1)] = 0.95
    padding: Annotated[float, Field(gt=0)] = 1.25  # box padding of the crops (the suite's eval)
    device: str = "auto"
    batch_size: Annotated[int, Field(ge=1)] = 32

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> CapeEvalConfig:
        cfg = configs.parse(cls, d, "cape_evaluation")
        names = [m.name for m in cfg.matchers]
        if len(set(names)) != len(names):
            raise configs.ConfigError("cape_evaluation.matchers", "a matcher is listed twice", names)
        for pair in cfg.differences:
            if not set(pair) <= set(names) or pair[0] == pair[1]:
                raise configs.ConfigError("cape_evaluation.differences", f"needs two of the matchers {names}",
                                          list(pair))
        return cfg

    def episodes(self, spec: MatcherSpec) -> int:
        return self.finetune_episodes if spec.method == "finetune" else self.num_episodes


def _predict(spec: MatcherSpec, cfg: CapeEvalConfig, features, keypoints: np.ndarray,
             category: str, n: int, shots: int) -> np.ndarray:
    """(E, Q, J, 2) predictions of one matcher on one category's episodes."""
    episodes = sample_episodes(category, n, shots, cfg.num_queries, cfg.episodes(spec), cfg.seed)
    if spec.method == "finetune":
        return finetune_predictions(features, keypoints, episodes, cfg.finetune_steps,
                                    cfg.finetune_lr, cfg.finetune_sigma, cfg.seed)
    return prototype_predictions(features, keypoints, episodes)


def _check_sizes(path: Path, cats: Mapping[str, list[CapeInstance]], cfg: CapeEvalConfig) -> None:
    need = max(cfg.shots) + cfg.num_queries
    small = {c: len(v) for c, v in cats.items() if len(v) < need}
    if not cats or small:
        raise DataError(path, f"every novel category needs >= {need} instances "
                              f"({max(cfg.shots)} supports + {cfg.num_queries} queries); "
                              + (f"too few: {small}" if cats else "no category has any"))


def cape_predictions(nets: Mapping[str, Any], root: Path, cfg: CapeEvalConfig
                     ) -> tuple[dict, dict, dict]:
    """(predictions[matcher][shots][split][category] (E, Q, J, 2), instances[split][category],
    experts[split][category])."""
    preds: dict = {m.name: {k: {} for k in cfg.shots} for m in cfg.matchers}
    data: dict[str, dict[str, list[CapeInstance]]] = {}
    experts: dict[str, dict[str, str]] = {}
    seconds: dict[str, float] = {}
    device = select_device(cfg.device)
    for k in cfg.splits:
        path = mp100_file(root / cfg.annotations, k, cfg.part)
        cats, domains = read_mp100(path), category_domains(path)
        _check_sizes(path, cats, cfg)
        split = f"split{k}"
        data[split], experts[split] = cats, {}
        for category, instances in cats.items():
            source = expert_source(domains.get(category, ""), cfg.experts, cfg.default_expert)
            experts[split][category] = source
            keypoints = np.stack([i.keypoints for i in instances])  # (N, J, 3)
            for model in dict.fromkeys(m.model for m in cfg.matchers):
                specs = [m for m in cfg.matchers if m.model == model]
                t0 = time.perf_counter()
                feats = extract_features(nets[model], instances, root / cfg.images, source,
                                         sorted({m.features for m in specs}), device,
                                         cfg.batch_size, cfg.padding)
                seconds[f"{model} features"] = seconds.get(f"{model} features", 0.0) + (
                    time.perf_counter() - t0)
                for spec in specs:
                    t0 = time.perf_counter()
                    for shots in cfg.shots:
                        preds[spec.name][shots].setdefault(split, {})[category] = _predict(
                            spec, cfg, feats[spec.features], keypoints, category,
                            len(instances), shots)
                    seconds[spec.name] = seconds.get(spec.name, 0.0) + time.perf_counter() - t0
    log.info("CAPE wall time (s): %s", {k: round(v, 1) for k, v in seconds.items()})
    return preds, data, experts


def cape_evaluate(checkpoints: Mapping[str, dict], root: str | Path, cfg: CapeEvalConfig
                  ) -> tuple[dict, dict]:
    """(metrics, per-episode scores) of every matcher x shots on the MP-100-format folder
    ``root`` (module docstring); ({}, {}) where ``root`` has no annotation folder."""
    root = Path(root)
    if not (root / cfg.annotations).is_dir():
        log.warning("CAPE not run: no MP-100-format annotations under %s", root / cfg.annotations)
        return {}, {}
    missing = sorted({m.model for m in cfg.matchers} - set(checkpoints))
    if missing:
        raise ValueError(f"cape_evaluation: no checkpoint for the matchers' models {missing} "
                         f"(given {sorted(checkpoints)})")
    nets = {m: from_checkpoint(checkpoints[m]) for m in dict.fromkeys(x.model for x in cfg.matchers)}
    preds, data, experts = cape_predictions(nets, root, cfg)
    results = {m.name: {k: {split: evaluate_cape(data[split], preds[m.name][k][split], k,
                                                 cfg.num_queries, cfg.episodes(m), cfg.seed)
                            for split in data} for k in cfg.shots} for m in cfg.matchers}
    boot = BootstrapConfig(cfg.resamples, cfg.level, cfg.seed)
    differences = [{"matcher": a, "control": b, "shots": k,
                    **paired_difference(results[a][k], results[b][k], boot, f"{a}-{b}-{k}")}
                   for a, b in cfg.differences for k in cfg.shots]
    metrics = {
        "protocol": {"shots": list(cfg.shots), "num_queries": cfg.num_queries,
                     "num_episodes": cfg.num_episodes, "finetune_episodes": cfg.finetune_episodes,
                     "threshold": CAPE_PCK_THR, "seed": cfg.seed, "part": cfg.part,
                     "splits": list(data), "unit": "percent"},
        "matchers": {m.name: {f"{k}-shot": matcher_metrics(results[m.name][k]) for k in cfg.shots}
                     for m in cfg.matchers},
        "differences": differences,
        "experts": experts,
        "instances": {s: {c: len(v) for c, v in cats.items()} for s, cats in data.items()},
    }
    scores = {m.name: {f"{k}-shot": episode_scores(results[m.name][k]) for k in cfg.shots}
              for m in cfg.matchers}
    return metrics, scores
