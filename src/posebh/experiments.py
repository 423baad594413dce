"""The experiment matrix (``pipelines/experiments.yaml``): variants, grid points, the ablation.

The caller says where the file is (the Kedro glue passes ``<project>/pipelines/experiments.yaml``),
so the loader works from any install. Each variant's overrides stay plain dicts here; they are
merged into the profile's parameter blocks and parsed into typed configs once, by ``posebh.runs``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

MATRIX_FILE = Path("pipelines") / "experiments.yaml"  # relative to the project root
SECTIONS = {"variants": "scratch", "finetunes": "finetune"}


@dataclass(frozen=True)
class Variant:
    """One trained model. ``method`` overrides the method block; None = no PoseBH modules."""

    name: str
    kind: Literal["scratch", "finetune"]
    description: str = ""
    model: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    method: dict[str, Any] | None = field(default_factory=dict)


@dataclass(frozen=True)
class GridPoint:
    """A PoseBH fine-tune with one hyper-parameter changed: a row of paper Tables 6-8 (``table``)
    or a sensitivity sweep point (``table`` None, scored on every dataset)."""

    name: str
    table: int | None
    param: str
    value: Any
    method: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ablation:
    """Table 5: its rows, the baseline they start from, the phase-matched control, the headline."""

    variants: tuple[str, ...]
    baseline: str
    control: str
    headline: str


@dataclass(frozen=True)
class Matrix:
    variants: dict[str, Variant]
    grids: dict[str, GridPoint]
    ablation: Ablation

    def report_view(self) -> dict[str, dict]:
        """Name -> {description, kind, ablation}: what the report lists per variant; the
        sensitivity sweep points (``grid:<name>``) too, so the report can say which did not run."""
        view = {n: {"description": v.description, "kind": v.kind,
                    "ablation": n in self.ablation.variants} for n, v in self.variants.items()}
        for n, g in self.grids.items():
            if g.table is None:
                view[f"grid:{n}"] = {"description": f"sensitivity point {n}", "kind": "grid",
                                     "grid": {"table": None, "param": g.param, "value": g.value}}
        return view


def _read(path: Path) -> dict:
    try:
        doc = yaml.safe_load(path.read_text())
        if not isinstance(doc, dict) or not isinstance(doc.get("variants"), dict):
            raise KeyError("variants")
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        raise ValueError(f"{path}: cannot read the experiment matrix ({err})") from err
    return doc


def load_matrix(path: Path) -> Matrix:
    """The whole matrix; names are checked (identifiers, unique) and references resolved."""
    doc = _read(path)
    variants: dict[str, Variant] = {}
    for section, kind in SECTIONS.items():
        for name, spec in (doc.get(section) or {}).items():
            if not str(name).isidentifier():
                raise ValueError(f"{path}: variant name {name!r} must be a Python identifier")
            if name in variants:
                raise ValueError(f"{path}: variant {name!r} appears twice")
            spec = dict(spec or {})
            unknown = set(spec) - {"description", "model", "train", "method"}
            if unknown:
                raise ValueError(f"{path}: variant {name!r}: unknown keys {sorted(unknown)}")
            variants[name] = Variant(name, kind, spec.get("description", ""),
                                     spec.get("model") or {}, spec.get("train") or {},
                                     spec["method"] if "method" in spec and spec["method"] is None
                                     else spec.get("method") or {})
    grids: dict[str, GridPoint] = {}
    for name, spec in (doc.get("grids") or {}).items():
        missing = {"table", "param", "value"} - set(spec or {})
        if missing:
            raise ValueError(f"{path}: grid {name!r} lacks {sorted(missing)}")
        unknown = set(spec) - {"table", "param", "value", "method", "train"}
        if unknown:
            raise ValueError(f"{path}: grid {name!r}: unknown keys {sorted(unknown)}")
        table = None if spec["table"] is None else int(spec["table"])
        grids[name] = GridPoint(name, table, spec["param"], spec["value"],
                                spec.get("method") or {}, spec.get("train") or {})
    ab = doc.get("ablation") or {}
    try:
        ablation = Ablation(tuple(ab["variants"]), ab["baseline"], ab["control"], ab["headline"])
    except (KeyError, TypeError) as err:
        raise ValueError(f"{path}: ablation needs variants, baseline, control, headline ({err})") from None
    unknown = [v for v in (*ablation.variants, ablation.baseline, ablation.control,
                           ablation.headline) if v not in variants]
    if unknown:
        raise ValueError(f"{path}: ablation names unknown variants {unknown}")
    return Matrix(variants, grids, ablation)


def merged(base: dict, override: dict | None) -> dict:
    """Deep-merge ``override`` into a copy of ``base``."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
