"""Shared test helpers (importable: ``pythonpath = ["tests"]`` in pyproject): project paths, the
shared fixtures folder, and a profile's resolved parameters.

Tests reach the project and ``../shared`` only through these names, never through
``Path(__file__).parents[N]``, so a test file can move between folders of ``tests/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SHARED = ROOT.parent / "shared"  # ../shared beside the checkout (absent in some clones)
# POSEBH_REAL_SAMPLES points the real-format samples elsewhere (e.g. a full download)
REAL_SAMPLES = Path(os.environ.get("POSEBH_REAL_SAMPLES") or SHARED / "fixtures" / "real-samples")


def real_samples() -> Path:
    """The real-format samples folder, or a clean skip where it is absent."""
    if not REAL_SAMPLES.is_dir():
        pytest.skip(f"{REAL_SAMPLES} not present")
    return REAL_SAMPLES


def real_sample(rel: str) -> Path:
    """One file of the real-format samples, or a clean skip where it is absent."""
    path = REAL_SAMPLES / rel
    if not path.is_file():
        pytest.skip(f"real sample {path} not available")
    return path


def one_line(err: pytest.ExceptionInfo, path: Path, *fragments: str) -> None:
    """The error is one line that starts with ``path`` and holds every fragment."""
    msg = str(err.value)
    assert "\n" not in msg, msg
    assert msg.startswith(str(path)), msg
    for frag in fragments:
        assert frag in msg, msg


def profile_params(env: str) -> dict:
    """The parameters of ``conf/<env>`` as Kedro resolves them (soft-merged over conf/base)."""
    from kedro.config import OmegaConfigLoader

    from posebh.settings import CONFIG_LOADER_ARGS

    args = {k: v for k, v in CONFIG_LOADER_ARGS.items() if k != "default_run_env"}
    return dict(OmegaConfigLoader(str(ROOT / "conf"), env=env, **args)["parameters"])
