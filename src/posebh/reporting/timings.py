"""Measured stage times (they vary run to run, so they live in timings.json, never in the page)."""

from __future__ import annotations


def timings(histories: dict[str, list[dict]], variant_metrics: dict[str, dict],
            transfer_metrics: dict[str, dict]) -> dict:
    """Seconds per variant (training, evaluation), per transfer run, and the total."""
    train = {v: round(sum(h.get("seconds", 0.0) for h in hist), 3) for v, hist in histories.items()}
    evaluate = {v: round(sum(m.get("seconds", 0.0) for m in ms.values() if isinstance(m, dict)), 3)
                for v, ms in variant_metrics.items()}
    transfer = {f"{t}.{i}": round(m.get("train_seconds", 0.0), 3)
                for t, inits in transfer_metrics.items() for i, m in inits.items()}
    total = sum(train.values()) + sum(evaluate.values()) + sum(transfer.values())
    return {"train_seconds": train, "evaluate_seconds": evaluate, "transfer_train_seconds": transfer,
            "total_seconds": round(total, 3), "total_minutes": round(total / 60, 2),
            "note": "sum of measured stage times (training epochs, evaluation, transfer training)"}
