"""``finetune``: fine-tune the baseline into each fine-tune variant, then evaluate it."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
