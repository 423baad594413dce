"""``train``: train the scratch variants, then evaluate them."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
