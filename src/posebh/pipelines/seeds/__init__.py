"""``seeds``: the ablation variants (Table 5) with every extra seed, and per-instance scores of all seeds."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
