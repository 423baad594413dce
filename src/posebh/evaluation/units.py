"""One unit per metric kind in the metrics files DVC shows: every accuracy ratio in percent.

The evaluators keep their references' own units in memory (COCOeval / xtcocotools AP and AR,
mmpose PCK and AUC as fractions; the MPII evaluator's PCKh already in percent), so the library is
tested against those references unchanged. ``reports/metrics/*.json`` are read by people and by
``dvc metrics diff``; there AP, AR, PCK, AUC and shares are written in percent like PCKh, EPE stays
in pixels, GFLOPs in GFLOPs and counts as counts. COCOeval's -1 ("no object in this area range")
stays -1. Hand-written: a key-name table, no library maps these names to units.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# keys whose values the evaluators give as fractions in [0, 1]
FRACTION_KEY = re.compile(r"^(AP|AR)(50|75|M|L)?$|^PCK@|^AUC@|^share_")


def _scaled(tree: Any, op: Callable[[float], float]) -> Any:
    if isinstance(tree, dict):
        return {k: (op(v) if FRACTION_KEY.match(str(k)) and _number(v) and v != -1
                    else _scaled(v, op)) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_scaled(v, op) for v in tree]
    return tree


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def to_percent(metrics: Any) -> Any:
    """A (nested) metrics dict with every fraction-valued key in percent; other values unchanged."""
    return _scaled(metrics, lambda v: v * 100.0)


def from_percent(metrics: Any) -> Any:
    """The inverse of ``to_percent`` (to within one ulp): back to the evaluators' fractions."""
    return _scaled(metrics, lambda v: v / 100.0)
