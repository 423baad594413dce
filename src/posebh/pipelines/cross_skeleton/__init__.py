"""``cross_skeleton``: every head on every source's val images against the hidden truth, and the
CSS pseudo-label audit."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
