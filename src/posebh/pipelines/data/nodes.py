"""Nodes of the ``data`` pipeline: build each dataset's train/val annotations (and images)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from posebh.data import splits, synthetic

log = logging.getLogger(__name__)


def _require_synthetic(params: dict) -> None:
    if params["source"] != "synthetic":
        raise ValueError(
            f"data.source={params['source']!r}: only the embedded 'synthetic' benchmark is built by "
            "this version; the real-dataset converters and download stage are tracked in the "
            "dataset issue (see README, 'Paper profile')"
        )


def render_dataset(name: str, params: dict) -> tuple[dict, dict]:
    """Render ``name``'s train and val splits into ``params.image_root/<name>/``."""
    _require_synthetic(params)
    sizes = params["sizes"][name]
    root = Path(params["image_root"]) / name
    canvas = tuple(params["canvas"])
    out = []
    for i, split in enumerate(("train", "val")):
        coco = synthetic.render_split(name, sizes[split], seed=params["seed"] * 1000 + i,
                                      image_dir=root / split, canvas=canvas)
        coco["info"]["image_root"] = str(root / split)
        out.append(coco)
    log.info("%s: %d train / %d val images", name, len(out[0]["images"]), len(out[1]["images"]))
    return out[0], out[1]


def render_apt36k(params: dict) -> tuple[dict, dict, dict, dict]:
    """APT-36K analogue: render raw video clips, then the 7:1:2 video-level split."""
    _require_synthetic(params)
    spec = params["apt36k"]
    root = Path(params["image_root"]) / "apt36k"
    raw = synthetic.render_videos("apt36k", spec["videos"], spec["frames"], seed=params["seed"],
                                  image_dir=root, canvas=tuple(params["canvas"]))
    parts = splits.split_apt36k(raw, rule=spec["split_rule"], seed=params["seed"])
    for part in parts.values():
        part["info"]["image_root"] = str(root)
    summary = splits.summary(parts)
    log.info("apt36k split: %s", json.dumps(summary))
    return parts["train"], parts["val"], parts["test"], summary
