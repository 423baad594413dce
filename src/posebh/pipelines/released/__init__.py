"""``released``: evaluate the released ViTPose++ / PoseBH weights placed under data/01_raw/weights/."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
