"""Kedro project settings."""

from kedro.config import OmegaConfigLoader

CONFIG_LOADER_CLASS = OmegaConfigLoader
# conf/base = the embedded default; `--env paper` / `--env test` overlay it. Kedro's `local`
# env is not used by default so that a stray conf/local file cannot change a DVC result.
CONFIG_LOADER_ARGS = {"base_env": "base", "default_run_env": "base"}
