"""The CAPE track's data (issue #16): the synthetic CAPE set in the MP-100 format, or the summary
of a real MP-100 folder the user placed under ``mp100_root``.

Synthetic (``mp100_root`` null, the embedded default): ``data.cape_set.write_cape_set`` renders
every novel skeleton as a category under ``root``. Real (``mp100_root`` set, the paper profiles):
nothing is rendered; where ``<mp100_root>/annotations/mp100_split{1..5}_{train,val,test}.json``
are present they are read and checked against the MP-100 split rule, else the summary says "not
provided". In both cases ``root`` holds ``source.json`` naming the annotation and image folders
the evaluation reads (so the stage's output folder always exists).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from posebh import configs
from posebh.data.cape_set import publish, write_cape_set
from posebh.evaluation.cape_mp100 import MP100_SPLITS, check_mp100_splits, mp100_file, read_mp100

log = logging.getLogger(__name__)
NOT_PROVIDED = "not provided"


@configs.strict
@dataclass
class CapeConfig:
    """The ``cape`` block: where the set goes, its size, seed and category splits."""

    root: str = "data/03_primary/cape/set"
    images_per_category: Annotated[int, Field(ge=1)] = 40
    canvas: tuple[Annotated[int, Field(ge=16)], Annotated[int, Field(ge=16)]] = (160, 160)
    seed: Annotated[int, Field(ge=0)] = 0
    splits: Annotated[int, Field(ge=1)] = 5
    val_categories: Annotated[int, Field(ge=0)] = 2
    mp100_root: str | None = None  # a real MP-100 folder (annotations/, images/); null: synthetic

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> CapeConfig:
        return configs.parse(cls, d, "cape")


def _write_source(root: str | Path, source: dict) -> None:
    """``root`` becomes a folder holding only ``source.json``."""
    def fill(tmp: Path) -> None:
        (tmp / "source.json").write_text(json.dumps(source) + "\n")
    publish(root, fill)


def mp100_summary(mp100_root: str | Path) -> dict:
    """What the real MP-100 folder holds (categories, instances per test file, splits), or
    ``status: not provided`` when its annotation files are absent."""
    ann, images = Path(mp100_root) / "annotations", Path(mp100_root) / "images"
    where = {"source": "mp100", "annotations": str(ann), "images": str(images)}
    missing = [str(mp100_file(ann, s, p)) for s in MP100_SPLITS for p in ("train", "val", "test")
               if not mp100_file(ann, s, p).is_file()]
    if missing:
        log.warning("cape: real MP-100 not provided (%d annotation files missing, e.g. %s); "
                    "nothing to evaluate", len(missing), missing[0])
        return {**where, "status": NOT_PROVIDED, "missing": missing}
    splits = check_mp100_splits(ann)
    categories: dict[str, dict] = {}
    for s in MP100_SPLITS:  # each category is a test category once: count it there
        for name, instances in read_mp100(mp100_file(ann, s, "test")).items():
            categories[name] = {"keypoints": instances[0].num_keypoints,
                                "instances": len(instances)}
    return {**where, "status": "provided", "categories": dict(sorted(categories.items())),
            "instances": sum(c["instances"] for c in categories.values()),
            "splits": {sp.name: {p: sorted(sp.part(p)) for p in ("train", "val", "test")}
                       for sp in splits}}


def cape_set(cfg: CapeConfig) -> dict:
    """Write the synthetic CAPE set, or summarise the real MP-100 folder; the summary."""
    if cfg.mp100_root is None:
        summary = write_cape_set(cfg.root, cfg.images_per_category, cfg.seed, cfg.canvas,
                                 cfg.splits, cfg.val_categories)
        log.info("cape: %d categories x %d instances written to %s", len(summary["categories"]),
                 cfg.images_per_category, cfg.root)
        return summary
    summary = mp100_summary(cfg.mp100_root)
    _write_source(cfg.root, {k: summary[k] for k in ("source", "status", "annotations", "images")})
    return summary
