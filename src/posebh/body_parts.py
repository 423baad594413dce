"""Body part of every keypoint of every skeleton (head, face, torso, arms, hands, legs, feet, tail).

The facts live in ``body_parts.json`` beside this file as [start, stop) keypoint ranges per part;
the t-SNE of the prototype bank colours keypoints by them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from posebh.skeletons import get

_PARTS = Path(__file__).with_name("body_parts.json")


@cache
def part_names() -> tuple[str, ...]:
    """The body parts of ``body_parts.json``, in legend order (head, face, torso, ...)."""
    return tuple(json.loads(_PARTS.read_text())["parts"])


@cache
def body_parts(name: str) -> tuple[str, ...]:
    """The body part of each keypoint of dataset ``name``, in keypoint order.

    Raises ValueError naming ``body_parts.json`` if a keypoint has no part, two parts or an
    unknown part.
    """
    raw = json.loads(_PARTS.read_text())
    k = get(name).num_keypoints
    table = raw["datasets"].get(name)
    if table is None:
        raise ValueError(f"{_PARTS.name}: no body parts for dataset {name!r}")
    out: list[str | None] = [None] * k
    for part, ranges in table.items():
        if part not in raw["parts"]:
            raise ValueError(f"{_PARTS.name}: {name}: unknown part {part!r}")
        for start, stop in ranges:
            for i in range(start, stop):
                if not 0 <= i < k or out[i] is not None:
                    raise ValueError(f"{_PARTS.name}: {name}: keypoint {i} out of range or in two parts")
                out[i] = part
    if None in out:
        raise ValueError(f"{_PARTS.name}: {name}: keypoints {[i for i, p in enumerate(out) if p is None]} "
                         f"have no part")
    return tuple(out)  # type: ignore[arg-type]
