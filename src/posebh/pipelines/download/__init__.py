"""``download``: check (paper profile: fetch) the real raw files; no-op in the embedded default."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
