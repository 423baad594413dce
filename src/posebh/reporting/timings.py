"""Measured training times (they vary run to run, so they live in timings.json, never in the page
or in a DVC metrics file; each stage's wall time and peak memory: reports/bench/stages/)."""

from __future__ import annotations


def timings(histories: dict[str, list[dict]]) -> dict:
    """Training seconds per variant (sum of its epochs) and their total."""
    train = {v: round(sum(h.get("seconds", 0.0) for h in hist), 3) for v, hist in histories.items()}
    total = sum(train.values())
    return {"train_seconds": train, "total_seconds": round(total, 3),
            "total_minutes": round(total / 60, 2),
            "note": "sum of measured training epochs per variant; every stage's wall time and peak "
                    "memory are in reports/bench/stages/<stage>.json"}
