"""``cape``: the CAPE track's data (the synthetic set of novel skeletons in the MP-100 format, or
the summary of a real MP-100 folder)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
