"""Kedro project settings."""

from kedro.config import OmegaConfigLoader

from posebh.hooks import CheckParameters, RemoveStaleOutputs, StageClock

CONFIG_LOADER_CLASS = OmegaConfigLoader
# conf/base = the embedded default; `--env paper` / `--env test` hold only what they change:
# parameters merge softly (key by key), so a profile file is a delta over conf/base. Kedro's
# `local` env is not used by default so that a stray conf/local file cannot change a DVC result.
CONFIG_LOADER_ARGS = {"base_env": "base", "default_run_env": "base",
                      "merge_strategy": {"parameters": "soft"}}
HOOKS = (CheckParameters(), RemoveStaleOutputs(), StageClock())
