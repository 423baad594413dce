"""Kedro hooks (glue): parameters are checked before a run starts, a node's old outputs are
removed before it runs, so a killed run never leaves new files beside stale ones, and every run
leaves its wall time and peak memory for ``posebh bench`` (``reports/bench/stages/``)."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import click
import yaml
from kedro.framework.hooks import hook_impl

from posebh.configs import ConfigError
from posebh.io import atomic_write
from posebh.runs.params import check_params


def _depth(doc: Any, parts: list[str]) -> int:
    """How many leading parts of a dotted key ``doc`` holds."""
    depth = 0
    while isinstance(doc, dict) and depth < len(parts) and parts[depth] in doc:
        doc, depth = doc[parts[depth]], depth + 1
    return depth


PARENT_FILE = "parent.yml"  # conf/<env>/parent.yml: `parent: <env>` (a profile over a profile)


def profile_chain(conf: Path, env: str) -> list[str]:
    """The profiles ``env`` layers over conf/base, outermost first (``[paper, paper_smoke]``);
    ``[env]`` for a profile without ``parent.yml``."""
    chain = [env]
    while (conf / chain[0] / PARENT_FILE).is_file():
        path = conf / chain[0] / PARENT_FILE
        parent = (yaml.safe_load(path.read_text()) or {}).get("parent")
        if not isinstance(parent, str) or not (conf / parent).is_dir() or parent in chain:
            raise ValueError(f"{path}: `parent` must name another conf/ folder, without a cycle "
                             f"(got {parent!r})")
        chain.insert(0, parent)
    return chain


def defining_file(conf: Path, env: str, key: str) -> str:
    """The parameter file that sets dotted ``key`` (``env``, then its parents, before base; else
    the one that holds its block), relative to the project, for the message."""
    parts = key.split(".")
    folders = [*reversed(profile_chain(conf, env)), "base"] if env != "base" else ["base"]
    files = [p for folder in dict.fromkeys(folders)
             for p in sorted((conf / folder).glob("parameters*.yml"))]
    depths = {p: _depth(yaml.safe_load(p.read_text()) or {}, parts) for p in files}
    best = max(files, key=lambda p: depths[p], default=None)  # first file wins a tie
    if best is None or depths[best] == 0:
        return f"conf/{env}"
    return str(best.relative_to(conf.parent))


class BadParameters(click.ClickException):
    """Printed by the Kedro CLI as one line (``Error: <file>: <key>: <problem> (got <value>)``)."""

    exit_code = 2


class CheckParameters:
    @hook_impl
    def after_context_created(self, context) -> None:
        try:
            check_params(context.params)
        except ConfigError as err:
            runtime = getattr(context.config_loader, "runtime_params", None) or {}
            if _depth(runtime, err.key.split(".")) or err.key.split(".")[0] in runtime:
                where = "--params"
            else:
                conf = Path(context.project_path) / "conf"
                where = defining_file(conf, context.env or "base", err.key)
            raise BadParameters(f"{where}: {err}") from None


# A fit node's outputs and those its evaluate node derives from them: a new checkpoint must
# never sit beside the metrics of the old one.
DERIVED = {"train": ("metrics", "predictions"), "finetune": ("metrics", "predictions", "prototypes")}


def stale_outputs(node_name: str, namespace: str | None, outputs: list[str]) -> list[str]:
    """Catalog names to remove before ``node_name`` runs: its outputs, plus, for a fit node, the
    outputs its namespace's evaluate node derives from the new checkpoint."""
    kind = node_name.rpartition(".")[2]
    derived = [f"{namespace}.{o}" for o in DERIVED.get(kind, ())] if namespace else []
    return list(dict.fromkeys([*outputs, *derived]))


class RemoveStaleOutputs:
    @hook_impl
    def before_node_run(self, node, catalog) -> None:
        for name in stale_outputs(node.name, node.namespace, list(node.outputs)):
            dataset = catalog.get(name)
            path = dataset._describe().get("filepath") if dataset is not None else None
            if path and Path(path).is_file():
                Path(path).unlink()


class StageClock:
    """Writes ``reports/bench/stages/<pipelines>[@<namespaces>].json``: seconds and peak RSS of a
    successful ``kedro run`` (a DVC stage), read by ``posebh bench-perf`` into the profile."""

    def __init__(self) -> None:
        self.start = 0.0

    @hook_impl
    def before_pipeline_run(self, run_params: dict) -> None:
        self.start = time.perf_counter()

    @hook_impl
    def after_pipeline_run(self, run_params: dict) -> None:
        seconds = time.perf_counter() - self.start
        name = "+".join(run_params.get("pipeline_names") or ["__default__"])
        if run_params.get("namespaces"):
            name += "@" + "+".join(run_params["namespaces"])
        peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # kB on Linux
        record = {"stage": name, "env": run_params.get("env"), "seconds": round(seconds, 2),
                  "peak_rss_mb": round(peak_kb / 1024, 1),
                  "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        path = Path(run_params["project_path"]) / "reports" / "bench" / "stages" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, (json.dumps(record, indent=1) + "\n").encode())
