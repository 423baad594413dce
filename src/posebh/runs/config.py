"""Run-level configs: the sample settings of the ``data`` block, evaluation, grid, transfer, the
adaptation recipes and the cross-skeleton evaluation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import Field

from posebh import configs

Engine = Literal["hotcoco", "xtcocotools", "pycocotools", "faster-coco-eval"]  # = evaluation.oks.ENGINES (tested)


@configs.strict
@dataclass
class AugConfig:
    """ViTPose/mmpose TopDown augmentation."""

    rot_factor: Annotated[float, Field(ge=0)] = 40
    scale_factor: Annotated[float, Field(ge=0, lt=1)] = 0.5
    flip_prob: Annotated[float, Field(ge=0, le=1)] = 0.5
    rot_prob: Annotated[float, Field(ge=0, le=1)] = 0.6
    bbox_padding: Annotated[float, Field(gt=0)] = 1.25


@configs.strict
@dataclass
class SampleConfig:
    """How training samples are drawn: target sigma (heatmap px), seed, augmentation."""

    sigma: Annotated[float, Field(gt=0)] = 2.0
    seed: Annotated[int, Field(ge=0)] = 0
    aug: AugConfig | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "SampleConfig":
        """The sample keys of the ``data`` block (the rest is the data pipeline's)."""
        return configs.parse(cls, {k: data[k] for k in ("sigma", "seed", "aug") if k in data},
                             "data")

    def aug_dict(self) -> dict | None:
        return None if self.aug is None else configs.to_dict(self.aug)


@configs.strict
@dataclass
class EvalConfig:
    device: str = "auto"
    flip_test: bool = True
    dark: bool | None = True  # None: DARK-UDP for UDP heads only (the released eval configs)
    batch_size: Annotated[int, Field(ge=1)] = 64
    engine: Engine = "hotcoco"  # xtcocotools' numbers; AIC and WholeBody run xtcocotools

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "EvalConfig":
        return configs.parse(cls, d, "evaluation")


@configs.strict
@dataclass
class GridConfig:
    """Which grid points a profile runs, the datasets they are scored on, train overrides."""

    run: tuple[str, ...] = ()
    evaluate: tuple[str, ...] = ("coco",)
    train: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "GridConfig":
        return configs.parse(cls, d, "grid")


@configs.strict
@dataclass
class SeedsConfig:
    """The ablation's seed dimension: the seeds each ablation variant runs beyond its own stage's
    (``train.seed`` / ``finetune.seed``), whether each seed's fine-tunes start from one shared
    baseline or from a baseline trained with that seed, and the bootstrap of the report."""

    extra: tuple[Annotated[int, Field(ge=0)], ...] = (1, 2)
    baseline: Literal["shared", "per_seed"] = "shared"
    resamples: Annotated[int, Field(ge=10)] = 1000
    level: Annotated[float, Field(gt=0, lt=1)] = 0.95

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "SeedsConfig":
        return configs.parse(cls, d, "seeds")


@configs.strict
@dataclass
class TransferConfig:
    """Table 12: inits to compare, the PoseBH init's prototype share, train (+ per target)."""

    inits: tuple[str, ...] = ("scratch", "aic", "baseline", "posebh")
    prototype_fraction: Annotated[float, Field(ge=0, le=1)] = 0.5
    device: str = "auto"
    train: dict[str, Any] = field(default_factory=dict)
    per_target: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "TransferConfig":
        return configs.parse(cls, d, "transfer")


Target = Literal["interhand2d", "pw3d"]  # = skeletons.TRANSFER (tested)
Recipe = Literal["full", "head", "last_k", "lora", "prototype_first"]  # = training.freeze.RECIPES (tested)


@configs.strict
@dataclass
class AdaptConfig:
    """#16 adaptation recipes: targets x inits x recipes x seeds; the training itself is
    ``transfer.train`` (+ ``per_target``), so each row is comparable with Table 12's."""

    targets: tuple[Target, ...] = ("interhand2d", "pw3d")
    inits: tuple[Literal["baseline", "posebh"], ...] = ("baseline", "posebh")
    recipes: tuple[Recipe, ...] = ("full", "head", "last_k", "lora", "prototype_first")
    seeds: tuple[Annotated[int, Field(ge=0)], ...] = (0,)
    last_k: Annotated[int, Field(ge=1)] = 2  # blocks unfrozen by last_k (<= the ViT's depth)
    lora_rank: Annotated[int, Field(ge=1)] = 4
    lora_alpha: Annotated[float, Field(gt=0)] = 8.0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "AdaptConfig":
        return configs.parse(cls, d, "adapt")


@configs.strict
@dataclass
class CrossSkeletonConfig:
    """Which models the hidden-truth cross-skeleton matrix scores and which get the CSS audit."""

    models: tuple[str, ...] = ("baseline", "baseline_ft", "proto", "posebh")
    css_audit: tuple[str, ...] = ("posebh",)
    max_images: Annotated[int, Field(ge=1)] | None = None  # per source: its first N val images (by id)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "CrossSkeletonConfig":
        return configs.parse(cls, d, "cross_skeleton")
