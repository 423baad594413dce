"""Declared dependencies = imported ones: every third-party import of src/posebh is declared in
pyproject.toml, and every declared package is imported (or says why not)."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib

from support import ROOT

NOT_IMPORTED = {"torchvision", "dvc"}  # each carries its reason beside it in pyproject.toml


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>~! ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = {_name(r) for reqs in project.get("optional-dependencies", {}).values() for r in reqs}
    return {_name(r) for r in project["dependencies"]}, extras


def _imported() -> dict[str, set[str]]:
    """Distribution name -> the src files that import it."""
    by_module: dict[str, set[str]] = {}
    for path in (ROOT / "src" / "posebh").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module
                     else [])
            for n in names:
                top = n.split(".")[0]
                if top not in sys.stdlib_module_names and top != "posebh":
                    by_module.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    dists = md.packages_distributions()
    out: dict[str, set[str]] = {}
    for module, files in by_module.items():
        for dist in dists.get(module, [module]):
            out.setdefault(dist.lower().replace("_", "-"), set()).update(files)
    return out


def test_every_import_is_declared():
    required, extras = _declared()
    missing = {d: sorted(f) for d, f in _imported().items() if d not in required | extras}
    assert missing == {}


def test_every_declared_package_is_imported_or_says_why_not():
    required, _ = _declared()
    unused = required - set(_imported()) - NOT_IMPORTED
    assert unused == set()
