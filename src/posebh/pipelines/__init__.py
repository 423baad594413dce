"""Kedro pipelines: thin wrappers over the library, one folder per pipeline name.

``variants.py`` (not a pipeline) builds the per-variant pipelines that ``train``, ``finetune``,
``ablation`` and ``grid`` share; ``atomic_datasets.py`` holds the catalog's file datasets.
"""

import warnings
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path

from kedro.utils import find_kedro_project

from posebh.experiments import MATRIX_FILE, Matrix, load_matrix

# "<variant>.checkpoint", "<variant>.metrics", ... ARE Kedro namespaces: the namespaced train /
# finetune pipelines write them, and report / grid / seeds / cross_skeleton read them across
# pipelines by design. Kedro warns on every dotted name read outside its namespace; silence only
# that message, once, here where every pipeline module passes.
warnings.filterwarnings("ignore", message="One or more dataset names contain '.' characters",
                        category=UserWarning)


def project_root() -> Path:
    """The Kedro project folder (where ``kedro`` / ``dvc`` run), found from the working folder."""
    return Path(find_kedro_project(Path.cwd()) or Path.cwd())


@cache
def matrix() -> Matrix:
    """The experiment matrix of this project (``pipelines/experiments.yaml``)."""
    return load_matrix(project_root() / MATRIX_FILE)


def bind(func: Callable, *args: object) -> partial:
    """``partial(func, *args)`` named like ``func``. Not ``functools.wraps``: Kedro reads the
    signature (and the parameter types) of ``__wrapped__``, which still lists the bound args."""
    bound = partial(func, *args)
    bound.__name__, bound.__doc__ = func.__name__, func.__doc__  # type: ignore[attr-defined]
    return bound
