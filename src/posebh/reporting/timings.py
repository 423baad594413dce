"""Measured training times (they vary run to run, so they live in timings.json, never in the page
or in a DVC metrics file; each stage's wall time and peak memory: reports/bench/stages/)."""

from __future__ import annotations


def timings(histories: dict[str, list[dict]], adapt: dict | None = None) -> dict:
    """Training seconds per variant (sum of its epochs) and their total; with ``adapt`` (the
    ``adapt`` stage's ``{target: {recipe: {init: {seed: seconds}}}}``) also ``adapt_seconds``:
    each adaptation recipe's training seconds, mean over its seeds."""
    train = {v: round(sum(h.get("seconds", 0.0) for h in hist), 3) for v, hist in histories.items()}
    total = sum(train.values())
    out = {"train_seconds": train, "total_seconds": round(total, 3),
           "total_minutes": round(total / 60, 2),
           "note": "sum of measured training epochs per variant; every stage's wall time and peak "
                   "memory are in reports/bench/stages/<stage>.json"}
    if adapt:
        out["adapt_seconds"] = {t: {r: {i: round(sum(s.values()) / len(s), 3)
                                        for i, s in inits.items() if s}
                                    for r, inits in recipes.items()}
                                for t, recipes in adapt.items()}
    return out
