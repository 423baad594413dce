"""Checkpoints of both model families: dict <-> model, a fine-tune's start from the baseline,
the released ViTPose++ / PoseBH weights, and the per-dataset deployment export."""
