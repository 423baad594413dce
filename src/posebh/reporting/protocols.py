"""The protocol line of every number the report shows, from the parameters the runs used.

Trained variants and transfer runs: ``posebh.evaluation.protocol`` under the ``evaluation``
parameters (GT boxes, or detector boxes for a dataset whose metrics carry ``detector``: the tables
then show those, ``compare.variant_run``). Released
weights: the lines the ``released`` stage wrote beside its metrics (it knows which datasets it
scored on detector boxes). Every line is prefixed with the profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posebh.evaluation.protocol import DETECTOR_BOXES, protocols, with_profile


def _keys(by_run: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys(k for m in by_run.values() if isinstance(m, Mapping)
                              for k, v in m.items() if isinstance(v, Mapping)))


def run_protocols(metrics: Mapping[str, dict], transfer_metrics: Mapping[str, dict],
                  released: Mapping[str, dict], evaluation: Mapping[str, Any],
                  profile: str) -> dict[str, dict]:
    """{"variant": {key: line}, "transfer": {target: line}, "released": {model: {key: line}}}."""
    detector = {k: DETECTOR_BOXES for m in metrics.values() if isinstance(m, Mapping)
                for k, v in m.items() if isinstance(v, Mapping) and "detector" in v}
    variant = protocols(_keys(metrics), evaluation, detector)
    transfer = protocols(list(transfer_metrics), evaluation)
    return {
        "variant": {k: with_profile(t, profile) for k, t in variant.items()},
        "transfer": {k: with_profile(t, profile) for k, t in transfer.items()},
        "released": {name: {k: with_profile(t, profile) for k, t in (e.get("protocol") or {}).items()}
                     for name, e in released.items() if isinstance(e, Mapping)},
    }
