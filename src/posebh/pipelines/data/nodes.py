"""Nodes of the ``data`` pipeline: render (embedded default) or convert (paper profile) each
dataset's train/val annotations; split APT-36K. Thin wrappers over ``posebh.data``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from posebh import skeletons
from posebh.data import hidden, splits, synthetic
from posebh.data.digest import content_digest

log = logging.getLogger(__name__)

SPLITS = ("train", "val")


def _convert_real(name: str, params: dict) -> tuple[dict, dict]:
    from posebh.data.real.convert import convert_split

    files = params["real"]["files"][name]
    out = tuple(convert_split(name, files[s], Path(params["image_root"]),
                              params["real"].get("check_images", True),
                              where=f"data.real.files.{name}.{s}") for s in SPLITS)
    log.info("%s: %d train / %d val images (converted)", name, len(out[0]["images"]),
             len(out[1]["images"]))
    return out


def split_seed(params: dict, split_index: int) -> int:
    """Seed of split ``SPLITS[split_index]`` of a rendered image dataset."""
    return params["seed"] * 1000 + split_index


def render_dataset(name: str, params: dict, raw: dict | None = None) -> tuple[dict, dict]:
    """``name``'s train and val splits: rendered into ``image_root/<name>/``, or converted."""
    if params["source"] == "real":
        return _convert_real(name, params)
    sizes = params["sizes"][name]
    root = Path(params["image_root"]) / name
    canvas = tuple(params["canvas"])
    out = []
    for i, split in enumerate(SPLITS):
        coco = synthetic.render_split(name, sizes[split], seed=split_seed(params, i),
                                      image_dir=root / split, canvas=canvas)
        coco["info"]["image_root"] = str(root / split)
        out.append(coco)
    log.info("%s: %d train / %d val images", name, len(out[0]["images"]), len(out[1]["images"]))
    return out[0], out[1]


def _split_real(params: dict) -> tuple[dict, dict]:
    from posebh.data.real import convert_apt36k
    from posebh.data.real.convert import resolve
    from posebh.data.real.files import check_images

    files = resolve(params["real"]["files"]["apt36k"]["raw"], Path(params["image_root"]),
                    convert_apt36k.REQUIRED, convert_apt36k.OPTIONAL, "data.real.files.apt36k.raw")
    parts, summary = convert_apt36k.convert(files, rule=params["apt36k"]["split_rule"],
                                            seed=params["seed"])
    if params["real"].get("check_images", True):
        for part in parts.values():
            check_images(part, files["images"], files["annotations"])
    return parts, summary


def render_apt36k(params: dict, raw: dict | None = None) -> tuple[dict, dict, dict, dict]:
    """APT-36K: the raw file (real) or rendered clips (analogue), then the 7:1:2 video split."""
    if params["source"] == "real":
        parts, summary = _split_real(params)
    else:
        spec = params["apt36k"]
        root = Path(params["image_root"]) / "apt36k"
        raw_coco = synthetic.render_videos("apt36k", spec["videos"], spec["frames"],
                                           seed=params["seed"], image_dir=root,
                                           canvas=tuple(params["canvas"]))
        parts = splits.split_apt36k(raw_coco, rule=spec["split_rule"], seed=params["seed"])
        for part in parts.values():
            part["info"]["image_root"] = str(root)
        summary = splits.summary(parts)
    log.info("apt36k split: %s", json.dumps(summary))
    return parts["train"], parts["val"], parts["test"], summary


def hidden_truth(params: dict) -> dict:
    """{source: {target: COCO}}: every source skeleton on every source's val images (replayed).

    Real data has no hidden truth (each real image is annotated with one skeleton only): {}.
    """
    if params["source"] == "real":
        log.info("hidden truth: none for real data (each image carries one skeleton)")
        return {}
    root, canvas, out = Path(params["image_root"]), tuple(params["canvas"]), {}
    for name in skeletons.SOURCES:
        if name == "apt36k":
            spec = params["apt36k"]
            out[name] = hidden.hidden_videos(name, spec["videos"], spec["frames"], params["seed"],
                                             canvas, spec["split_rule"], str(root / name))
        else:
            out[name] = hidden.hidden_split(name, params["sizes"][name]["val"],
                                            split_seed(params, SPLITS.index("val")), canvas,
                                            str(root / name / "val"))
    log.info("hidden truth: %s", {s: sorted(t) for s, t in out.items()})
    return out


def convert_unseen(params: dict, raw: dict | None = None) -> tuple[dict, dict, dict, dict]:
    """OCHuman val, test and their "(occ)" sets (Table 10; the COCO head scores them, never trained
    on): converted from the raw files (real), or ``{}`` four times (the rendered profiles have no
    analogue). "(occ)": the user's PCT-protocol files where ``data.real.ochuman_occ`` names them,
    else the suite's derivation (``data.real.ochuman_occ.occluded_only``)."""
    if params["source"] != "real":
        return {}, {}, {}, {}
    from posebh.data.real.convert import convert_split
    from posebh.data.real.ochuman_occ import occ_file, occluded_only

    files, root = params["real"]["files"]["ochuman"], Path(params["image_root"])
    check = params["real"].get("check_images", True)
    sets = [convert_split("ochuman", files[s], root, check, where=f"data.real.files.ochuman.{s}")
            for s in ("val", "test")]
    for split, full in zip(("val", "test"), list(sets)):
        given = occ_file(root, params, split)
        sets.append(occluded_only(full) if given is None else convert_split(
            "ochuman", {**files[split], "annotations": str(given.relative_to(root))}, root, check,
            where=f"data.real.ochuman_occ.{split}"))
        log.info("ochuman %s (occ): %s, %d instances", split,
                 "derived: occluded keypoints only" if given is None else given,
                 len(sets[-1]["annotations"]))
    log.info("ochuman: %d val / %d test images (converted)", len(sets[0]["images"]),
             len(sets[1]["images"]))
    return tuple(sets)  # type: ignore[return-value]


def digest(params: dict, **sets: dict) -> dict:
    """The content hash downstream stages depend on (``data/02_intermediate/digest.json``); an
    empty set (OCHuman in the rendered profiles) is left out."""
    rendered = params["source"] != "real"
    return content_digest({k: v for k, v in sets.items() if v},
                          Path(params["image_root"]) if rendered else None)
