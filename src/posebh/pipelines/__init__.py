"""Kedro pipelines: thin wrappers over the library, one folder per pipeline name.

``variants.py`` (not a pipeline) builds the per-variant pipelines that ``train``, ``finetune``,
``ablation`` and ``grid`` share; ``atomic_datasets.py`` holds the catalog's file datasets.
"""

from collections.abc import Callable
from functools import partial


def bind(func: Callable, *args: object) -> partial:
    """``partial(func, *args)`` named like ``func``. Not ``functools.wraps``: Kedro reads the
    signature (and the parameter types) of ``__wrapped__``, which still lists the bound args."""
    bound = partial(func, *args)
    bound.__name__, bound.__doc__ = func.__name__, func.__doc__  # type: ignore[attr-defined]
    return bound
