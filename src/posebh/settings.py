"""Kedro project settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader

from posebh.hooks import CheckParameters, RemoveStaleOutputs, StageClock, profile_chain


class ProfileConfigLoader(OmegaConfigLoader):
    """Kedro's loader, plus profiles that inherit another profile.

    Kedro merges conf/base and one env. A profile whose folder holds ``parent.yml``
    (``parent: paper``) is merged base -> parent -> profile, each step with the configured merge
    strategy (soft for parameters), so conf/paper_smoke holds only the sizes it shrinks and
    follows conf/paper everywhere else. Chosen over copying conf/paper (two files to keep in step)
    and over generating config at run time (nothing to read in the repository): one small
    subclass, and a profile without ``parent.yml`` loads exactly as before.
    """

    def __getitem__(self, key: str) -> dict[str, Any]:
        env = self.env or self.default_run_env
        if key in self or env == self.base_env or self._protocol != "file":
            return super().__getitem__(key)
        chain = profile_chain(Path(self.conf_source), env)
        if len(chain) == 1:
            return super().__getitem__(key)
        args = {"base_env": self.base_env, "default_run_env": self.default_run_env,
                "merge_strategy": self.merge_strategy, "config_patterns": self.config_patterns}
        inherited = ProfileConfigLoader(self.conf_source, env=chain[-2], **args)[key]
        # the profile's own folder alone: loaded as its own base (no merge, no missing-file error)
        own = OmegaConfigLoader(self.conf_source, env=env, **{**args, "base_env": env})[key]
        return self._merge_configs(inherited, own, key, str(Path(self.conf_source) / env))


CONFIG_LOADER_CLASS = ProfileConfigLoader
# conf/base = the embedded default; `--env paper` / `--env test` hold only what they change:
# parameters merge softly (key by key), so a profile file is a delta over conf/base (or over its
# parent profile: conf/paper_smoke/parent.yml). Kedro's `local` env is not used by default so
# that a stray conf/local file cannot change a DVC result.
CONFIG_LOADER_ARGS = {"base_env": "base", "default_run_env": "base",
                      "merge_strategy": {"parameters": "soft"}}
HOOKS = (CheckParameters(), RemoveStaleOutputs(), StageClock())
