"""The released ViTPose++ / PoseBH weights (``released.yaml`` beside this file): the table, which
files are present, and reading one into a suite checkpoint after checking its architecture."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field

from posebh import configs, skeletons
from posebh.data.errors import DataError

MANIFEST = Path(__file__).with_name("released.yaml")
NOT_PROVIDED = "not provided"
EVALUATED = "evaluated"


@configs.strict
@dataclass(frozen=True)
class ReleasedModel:
    """One released file: where it goes, what it must hold, where it comes from."""

    file: str
    family: Literal["vitpose++", "posebh"]
    backbone: str
    embed_dim: Annotated[int, Field(ge=1)]
    num_heads: Annotated[int, Field(ge=1)]
    img_size: tuple[int, int]
    source: str
    get: str
    size: Annotated[int, Field(ge=0)] | None = None


@cache
def load_manifest(path: Path = MANIFEST) -> dict[str, ReleasedModel]:
    """Model name -> ``ReleasedModel``; a bad entry is one line naming the file and the model."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise DataError(path, f"cannot read the released-weights table ({err})") from None
    models = raw.get("models") if isinstance(raw, dict) else None
    if not isinstance(models, dict) or not models:
        raise DataError(path, "expected a non-empty `models:` mapping")
    out = {}
    for name, entry in models.items():
        try:
            out[str(name)] = configs.parse(ReleasedModel, entry, f"models.{name}")
        except ValueError as err:
            raise DataError(path, str(err).splitlines()[0]) from None
    return out


def present(models: Mapping[str, ReleasedModel], root: str | Path) -> dict[str, bool]:
    """Model name -> whether its file is under ``root``."""
    return {name: (Path(root) / m.file).is_file() for name, m in models.items()}


def _architecture(state: Mapping, path: Path, name: str, model: ReleasedModel) -> None:
    """Refuse a file that is not the ViT of ``model`` (family, width, six heads), before any
    conversion or evaluation."""
    if "backbone.pos_embed" not in state or "backbone.blocks.0.attn.qkv.weight" not in state:
        first = ", ".join(repr(k) for k in list(state)[:3])
        raise DataError(path, f"{name}: not a ViTPose-family ViT checkpoint (no 'backbone.pos_embed'"
                              f" / 'backbone.blocks.0.attn.qkv.weight'; first keys {first}); "
                              f"expected the released {model.backbone} {model.family} weights")
    width = int(state["backbone.pos_embed"].shape[-1])
    if width != model.embed_dim:
        raise DataError(path, f"{name}: backbone width {width}, but {model.backbone} has "
                              f"{model.embed_dim} (another model's file?)")
    has_proto = any(str(k).startswith("proto_head.") for k in state)
    if has_proto != (model.family == "posebh"):
        found = "a PoseBH checkpoint (proto_head.*)" if has_proto else "no proto_head.* (ViTPose++)"
        raise DataError(path, f"{name}: holds {found}, but the table says family {model.family}")


def read_released(path: str | Path, name: str, model: ReleasedModel) -> dict:
    """The suite checkpoint of one released file; ``DataError`` (file, first bad key and its
    shapes) for a file that is not that model."""
    # torch only here: with no file present the stage stays within a second of Kedro's start-up
    from posebh.zoo.load import is_suite_checkpoint
    from posebh.zoo.official import (
        OfficialWeightsError,
        convert_official,
        read_checkpoint_file,
        unwrap,
    )

    path = Path(path)
    obj = read_checkpoint_file(path)
    if is_suite_checkpoint(obj):
        raise DataError(path, f"{name}: a posebh-suite checkpoint, not the released {model.family} file")
    state = unwrap(obj)
    _architecture(state, path, name, model)
    try:
        ckpt = convert_official(state, source=str(path), img_size=tuple(model.img_size),
                                num_heads=model.num_heads)
    except OfficialWeightsError as err:
        raise DataError(path, str(err).removeprefix(f"{path}: ")) from None
    heads = tuple(ckpt["model_cfg"]["datasets"])
    if heads != skeletons.SOURCES:
        raise DataError(path, f"{name}: heads for {list(heads)}, the released models have one per "
                              f"source dataset {list(skeletons.SOURCES)}")
    return ckpt
