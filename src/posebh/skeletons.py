"""Per-dataset keypoint tables: names, order, flip pairs, limb edges, OKS sigmas, protocol flags.

The facts live in ``skeletons.json`` beside this file (data, not code); this module only loads them
into typed, immutable records. ``SOURCES`` is the fixed order of the six source datasets, which is
also the order of the global keypoint index (J = 214) used by the prototype bank.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

_TABLE = Path(__file__).with_name("skeletons.json")

SOURCES: tuple[str, ...] = ("coco", "aic", "mpii", "ap10k", "apt36k", "coco_wholebody")
TRANSFER: tuple[str, ...] = ("interhand2d", "pw3d")


@dataclass(frozen=True)
class Skeleton:
    """One dataset's keypoint definition and evaluation protocol."""

    name: str
    keypoints: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    edges: tuple[tuple[int, int], ...]
    sigmas: tuple[float, ...] | None  # OKS sigmas; None where the protocol is PCK-only
    joint_weights: tuple[float, ...]
    udp: bool  # unbiased data processing (UDP) targets/decoding, as in the ViTPose++ configs
    use_area: bool  # xtcocotools COCOeval use_area (False for AIC)
    metric: str  # "oks", "pckh" or "pck": which protocol reports this dataset
    domain: str  # "human", "animal" or "hand"
    # Published annotation/results fields holding the keypoints, in keypoint order: (field, count).
    # Empty means all of them are in ``keypoints`` (every dataset but COCO-WholeBody).
    part_fields: tuple[tuple[str, int], ...] = ()

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoints)

    @property
    def parts(self) -> tuple[tuple[str, int], ...]:
        """(field, count) of each keypoint field of the published layout, in keypoint order."""
        return self.part_fields or (("keypoints", self.num_keypoints),)

    def flip_index(self) -> np.ndarray:
        """Permutation mapping each keypoint to its mirror partner (itself if unpaired)."""
        idx = np.arange(self.num_keypoints)
        for a, b in self.flip_pairs:
            idx[a], idx[b] = b, a
        return idx

    def index(self, keypoint: str) -> int:
        return self.keypoints.index(keypoint)


@cache
def load_skeletons() -> dict[str, Skeleton]:
    """Every skeleton in the table, keyed by dataset name."""
    raw = json.loads(_TABLE.read_text())["datasets"]
    return {
        name: Skeleton(
            name=name,
            keypoints=tuple(d["keypoints"]),
            flip_pairs=tuple(tuple(p) for p in d["flip_pairs"]),
            edges=tuple(tuple(e) for e in d["skeleton"]),
            sigmas=None if d["sigmas"] is None else tuple(d["sigmas"]),
            joint_weights=tuple(d["joint_weights"]),
            udp=d["udp"],
            use_area=d["use_area"],
            metric=d["metric"],
            domain=d["domain"],
            part_fields=tuple((f, int(n)) for f, n in d.get("parts", ())),
        )
        for name, d in raw.items()
    }


def get(name: str) -> Skeleton:
    """The skeleton of one dataset; a clear error for an unknown name."""
    table = load_skeletons()
    if name not in table:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(table)}")
    return table[name]


def global_offsets(datasets: tuple[str, ...] = SOURCES) -> dict[str, int]:
    """Start of each dataset's block in the concatenated keypoint index (COCO 0, AIC 17, ...)."""
    offsets, start = {}, 0
    for name in datasets:
        offsets[name] = start
        start += get(name).num_keypoints
    return offsets

