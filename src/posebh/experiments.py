"""The experiment matrix (``pipelines/experiments.yaml``): variants and their config overrides."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

MATRIX = Path(__file__).resolve().parents[2] / "pipelines" / "experiments.yaml"
SECTIONS = ("variants", "finetunes")  # trained model variants; `grids` are listed separately


def _read(path: Path) -> dict:
    try:
        doc = yaml.safe_load(path.read_text())
        if not isinstance(doc, dict) or not isinstance(doc.get("variants"), dict):
            raise KeyError("variants")
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        raise ValueError(f"{path}: cannot read the experiment matrix ({err})") from err
    return doc


def load_matrix(path: Path = MATRIX) -> dict[str, dict]:
    """Variant name -> spec, for every trained variant; ``spec['kind']`` is scratch or finetune."""
    doc = _read(path)
    out: dict[str, dict] = {}
    for section, kind in zip(SECTIONS, ("scratch", "finetune")):
        for name, spec in (doc.get(section) or {}).items():
            if not str(name).isidentifier():
                raise ValueError(f"{path}: variant name {name!r} must be a Python identifier")
            if name in out:
                raise ValueError(f"{path}: variant {name!r} appears twice")
            out[name] = {**(spec or {}), "kind": kind}
    return out


all_variants = load_matrix


def load_grids(path: Path = MATRIX) -> dict[str, dict]:
    """Grid point name -> {table, param, value, method overrides} (paper Tables 6-8)."""
    grids = _read(path).get("grids") or {}
    for name, spec in grids.items():
        missing = {"table", "param", "value"} - set(spec or {})
        if missing:
            raise ValueError(f"{path}: grid {name!r} lacks {sorted(missing)}")
    return grids


def merged(base: dict, override: dict | None) -> dict:
    """Deep-merge ``override`` into a copy of ``base``."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
