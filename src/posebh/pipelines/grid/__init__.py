"""``grid``: the hyper-parameter grids of PoseBH Tables 6-8 (COCO AP per grid point)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
