"""The protocol behind a reported number: split, boxes, flip test, decoding, evaluator, sigmas.

Derived from what the evaluation actually used: the ``evaluation`` parameters (flip test, DARK,
engine), the profile, the dataset's skeleton entry (UDP, ``use_area``, metric, OKS sigmas; the
skeleton table's ``_source`` names where the sigmas come from) and the boxes. The same rules as
the code that evaluates: ``posebh.evaluation.decode.decode`` (which decoder), ``evaluate_oks``
(hotcoco runs xtcocotools where it is not proven exact) and ``dataset_metrics`` (dispatch).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from posebh import skeletons

GT_BOXES = "GT boxes"
DETECTOR_BOXES = "detector boxes (the val split's person detections, OKS-NMS 0.9)"
SKELETON_OF = {"ochuman": "coco", "ochuman_occ": "coco"}  # metrics key -> skeleton, where they differ (COCO head on OCHuman)
SPLIT_SUFFIXES = ("test", "val")  # "<dataset>_test" metrics keys are that split
UNKNOWN = "not recorded"  # a parameter the caller's evaluation block does not hold


@dataclass(frozen=True)
class Protocol:
    """How one dataset's numbers were produced."""

    dataset: str
    split: str
    boxes: str
    flip_test: str
    decoding: str
    evaluator: str
    sigmas: str

    def text(self) -> str:
        """One line, the same for equal protocols (the CSV's ``protocol`` column)."""
        return (f"{self.split}; {self.boxes}; flip test {self.flip_test}; "
                f"{self.decoding}; {self.evaluator}; sigmas: {self.sigmas}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def sigmas_source() -> str:
    """Where the skeleton table's OKS sigmas come from (its ``_source`` note)."""
    return str(json.loads(skeletons._TABLE.read_text())["_source"])


def split_of(key: str) -> tuple[str, str]:
    """(dataset, split) of a metrics key: ``ochuman_test`` -> (ochuman, test); else (key, val)."""
    for split in SPLIT_SUFFIXES:
        if key.endswith(f"_{split}"):
            return key[: -len(split) - 1], split
    return key, "val"


def decoding(udp: bool, dark: bool | None) -> str:
    """The decoder ``decode(heatmaps, udp, dark)`` runs (its docstring's table)."""
    if udp:
        return "DARK-UDP" if dark is None or dark else "argmax + 0.25 px (UDP grid)"
    return "DARK" if dark else "argmax + 0.25 px"


def evaluator(sk: skeletons.Skeleton, engine: str) -> str:
    """The evaluator ``evaluate_dataset`` dispatches to for this skeleton and engine."""
    if sk.name == "coco_wholebody":
        return "xtcocotools COCOeval per part (use_area=True)"
    if sk.metric == "pck":
        return "PCK@0.2 of the box's longer side, AUC 0-30 px, EPE"
    oks = (f"{engine} (xtcocotools' stats)" if engine == "hotcoco" and sk.use_area
           else "xtcocotools" if engine == "hotcoco" else engine)
    oks += f" OKS AP, use_area={sk.use_area}"
    if sk.metric == "pckh":
        return f"MPII PCKh@0.5 (head size); {oks}"
    return oks


def describe(key: str, evaluation: Mapping[str, Any], boxes: str = GT_BOXES) -> Protocol:
    """The protocol of metrics key ``key`` (a dataset, or ``<dataset>_test``) under the
    ``evaluation`` parameters as the run used them (``flip_test``, ``dark``, ``engine``: the
    ``EvalConfig`` fields); a field the block lacks reads "not recorded", never a default."""
    dataset, split = split_of(key)
    sk = skeletons.get(SKELETON_OF.get(dataset, dataset))
    flip = ("on" if evaluation["flip_test"] else "off") if "flip_test" in evaluation else UNKNOWN
    decoder = decoding(sk.udp, evaluation["dark"]) if "dark" in evaluation else f"decoding {UNKNOWN}"
    sigmas = ("none (PCK)" if sk.sigmas is None
              else f"{sk.name} ({len(sk.sigmas)}) of src/posebh/skeletons.json")
    return Protocol(dataset=key, split=f"{split} split", boxes=boxes, flip_test=flip,
                    decoding=decoder, evaluator=evaluator(sk, evaluation.get("engine", UNKNOWN)),
                    sigmas=sigmas)


def protocols(keys: list[str] | tuple[str, ...], evaluation: Mapping[str, Any],
              boxes: Mapping[str, str] | None = None) -> dict[str, str]:
    """``describe(...).text()`` per metrics key; ``boxes`` overrides GT boxes per key.

    Keys without a skeleton (not a dataset) are skipped.
    """
    out = {}
    known = skeletons.load_skeletons()
    for key in keys:
        if SKELETON_OF.get(split_of(key)[0], split_of(key)[0]) in known:
            out[key] = describe(key, evaluation, (boxes or {}).get(key, GT_BOXES)).text()
    return out


def with_profile(text: str, profile: str) -> str:
    """A protocol line prefixed with the profile whose data it ran on (the report adds it)."""
    return f"{profile} profile; {text}" if profile and text else text
