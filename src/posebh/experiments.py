"""The experiment matrix (``pipelines/experiments.yaml``): variants and their config overrides."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

MATRIX = Path(__file__).resolve().parents[2] / "pipelines" / "experiments.yaml"


def load_matrix(path: Path = MATRIX) -> dict[str, dict]:
    """Variant name -> spec (description, ablation flag, model/train overrides)."""
    try:
        variants = yaml.safe_load(path.read_text())["variants"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        raise ValueError(f"{path}: cannot read the experiment matrix ({err})") from err
    for name in variants:
        if not name.isidentifier():
            raise ValueError(f"{path}: variant name {name!r} must be a Python identifier")
    return variants


def merged(base: dict, override: dict | None) -> dict:
    """Deep-merge ``override`` into a copy of ``base``."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
