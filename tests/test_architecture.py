"""The package's shape: import floors, the Kedro boundary, and dvc.yaml deps = each stage's imports.

Imports are read from the source (AST, function-level imports included), so a lazy import counts.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
import yaml
from support import ROOT

SRC = ROOT / "src"
PKG = SRC / "posebh"
GLUE = ("posebh.pipelines", "posebh.pipeline_registry", "posebh.settings", "posebh.hooks")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PKG.rglob("*.py")}


@cache
def imports(name: str) -> frozenset[str]:
    """posebh modules ``name`` imports (``from a import b`` counts ``a.b`` when it is a module);
    importing ``a.b.c`` also runs the packages ``a`` and ``a.b``."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            parts = t.split(".")
            out |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return frozenset(m for m in out if m in modules() and m != name)


def kedro_imports(name: str) -> bool:
    tree = ast.parse(modules()[name].read_text())
    return any((isinstance(n, ast.Import) and any(a.name.split(".")[0] == "kedro" for a in n.names))
               or (isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "kedro")
               for n in ast.walk(tree))


def closure(roots: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(imports(m))
    return seen


def in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


# ------------------------------------------------------------------------------- boundaries
def test_the_library_never_imports_kedro():
    offenders = [m for m in modules() if not any(in_package(m, g) for g in GLUE) and kedro_imports(m)]
    assert offenders == []


# package -> packages it must never import (the floors of DECISIONS.md: each floor imports below)
FORBIDDEN = {
    "posebh.models": ("posebh.method", "posebh.training", "posebh.zoo", "posebh.runs",
                      "posebh.evaluation", "posebh.reporting", "posebh.bench"),
    "posebh.method": ("posebh.training", "posebh.zoo", "posebh.runs", "posebh.reporting",
                      "posebh.bench"),
    "posebh.training": ("posebh.method", "posebh.zoo", "posebh.runs", "posebh.evaluation",
                        "posebh.reporting", "posebh.bench"),
    "posebh.data": ("posebh.models", "posebh.method", "posebh.training", "posebh.zoo",
                    "posebh.runs", "posebh.evaluation", "posebh.reporting", "posebh.bench"),
    "posebh.evaluation": ("posebh.method", "posebh.training", "posebh.zoo", "posebh.runs",
                          "posebh.reporting", "posebh.bench"),
    "posebh.zoo": ("posebh.training", "posebh.runs", "posebh.reporting", "posebh.bench"),
    "posebh.runs": ("posebh.reporting", "posebh.bench", "posebh.commands"),
    "posebh.reporting": ("posebh.method", "posebh.training", "posebh.zoo", "posebh.runs",
                         "posebh.bench"),
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_floors(package):
    bad = sorted(f"{m} -> {i}" for m in modules() if in_package(m, package) for i in imports(m)
                 if any(in_package(i, f) for f in FORBIDDEN[package]))
    assert bad == []


def test_library_modules_never_import_the_glue():
    bad = sorted(f"{m} -> {i}" for m in modules() if not any(in_package(m, g) for g in GLUE)
                 for i in imports(m) if any(in_package(i, g) for g in GLUE))
    assert bad == []


def pipeline_names() -> list[str]:
    return sorted(p.name for p in (PKG / "pipelines").iterdir()
                  if p.is_dir() and (p / "__init__.py").exists())


def test_no_pipeline_imports_another():
    bad = []
    for name in pipeline_names():
        own = f"posebh.pipelines.{name}"
        for m in modules():
            if in_package(m, own):
                bad += [f"{m} -> {i}" for i in imports(m) if any(
                    in_package(i, f"posebh.pipelines.{other}") for other in pipeline_names()
                    if other != name)]
    assert bad == []


def test_no_file_is_over_the_line_budget():
    files = list(PKG.rglob("*.py")) + list((ROOT / "tests").rglob("*.py"))
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


# ------------------------------------------------------------------------ dvc.yaml code deps
def _stages() -> dict[str, dict]:
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    return {name: spec.get("do", spec) for name, spec in stages.items()}


def _code_files(mods: set[str]) -> set[str]:
    """The source files of ``mods`` and the data tables each reads beside it (``x.py`` ->
    ``x.json`` / ``x.yaml``), relative to the project root."""
    out = set()
    for m in mods:
        path = modules()[m]
        out.add(str(path.relative_to(ROOT)))
        for ext in (".json", ".yaml", ".yml"):
            if path.with_suffix(ext).exists():
                out.add(str(path.with_suffix(ext).relative_to(ROOT)))
    return out


def stage_code(stage: dict) -> set[str]:
    """Files the stage's ``kedro run --pipelines=X`` executes: the pipeline's package, the
    settings (hooks, config loader) and the catalog's dataset classes."""
    pipeline = re.search(r"--pipelines[= ](\w+)", stage["cmd"]).group(1)
    catalog = (ROOT / "conf/base/catalog.yml").read_text()
    dataset_modules = {t.rpartition(".")[0] for t in re.findall(r"type:\s*([\w.]+)", catalog)}
    roots = [f"posebh.pipelines.{pipeline}", "posebh.settings", "posebh.pipeline_registry",
             *dataset_modules]
    return _code_files(closure(roots))


def _covered(path: str, deps: list[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in deps)


@pytest.mark.parametrize("name", sorted(_stages()))
def test_dvc_deps_cover_the_stage_imports(name):
    stage = _stages()[name]
    deps = [d for d in stage.get("deps", []) if isinstance(d, str)]
    code = stage_code(stage)
    missing = sorted(f for f in code if not _covered(f, deps))
    assert missing == [], f"dvc.yaml stage {name!r} misses deps {missing}"
    stale = sorted(d for d in deps if d.startswith("src/") and not any(_covered(f, [d]) for f in code))
    assert stale == [], f"dvc.yaml stage {name!r} lists code it never imports: {stale}"


def suggested_deps(name: str) -> list[str]:
    """The src deps a stage should list: its closure, whole folders where all of one is used."""
    files = stage_code(_stages()[name])
    out = set(files)
    for folder in sorted({str(Path(f).parent) for f in files}, key=len, reverse=True):
        every = {str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts}
        if folder != "src/posebh" and every and every <= files | {f for f in every
                                                                 if not f.endswith(".py")}:
            out = {f for f in out if not f.startswith(folder + "/")} | {folder}
    return sorted(f for f in out if not any(f != g and f.startswith(g + "/") for g in out))


if __name__ == "__main__":  # `python tests/test_architecture.py`: print each stage's code deps
    for stage in _stages():
        print(f"{stage}:", *(f"  - {d}" for d in suggested_deps(stage)), sep="\n")
