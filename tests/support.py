"""Shared test helpers (importable: ``pythonpath = ["tests"]`` in pyproject): project paths, the
shared fixtures folder, and a profile's resolved parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"  # ../shared beside the checkout (absent in some clones)
REAL_SAMPLES = SHARED / "fixtures" / "real-samples"


def real_samples() -> Path:
    """The real-format samples folder, or a clean skip where it is absent."""
    if not REAL_SAMPLES.is_dir():
        pytest.skip(f"{REAL_SAMPLES} not present")
    return REAL_SAMPLES


def profile_params(env: str) -> dict:
    """The parameters of ``conf/<env>`` as Kedro resolves them (soft-merged over conf/base)."""
    from kedro.config import OmegaConfigLoader

    from posebh.settings import CONFIG_LOADER_ARGS

    args = {k: v for k, v in CONFIG_LOADER_ARGS.items() if k != "default_run_env"}
    return dict(OmegaConfigLoader(str(ROOT / "conf"), env=env, **args)["parameters"])
