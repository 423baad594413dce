"""A static map of the DVC pipeline (stages and the files between them), drawn into the report.

Read from ``dvc.yaml`` itself, so the map is the pipeline `dvc repro` runs: ``foreach`` stages are
expanded over the experiment matrix (``train@baseline``, ``finetune@posebh``, ...) and a stage
points to another when one of its deps is, contains or lies inside one of the other's outputs.
Hand-written rather than `kedro viz build` (a React app that needs a web server) or `dvc dag`
(needs the DVC repository at report time): the page must stay one offline file. DVC refuses
``dvc.yaml`` as a dependency, so the map is redrawn whenever the report re-runs (any stage whose
outputs the report reads changed), not when only a stage the report does not read is added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

from posebh.reporting.figures import to_data_uri
from posebh.reporting.sections import Figure, Section

if TYPE_CHECKING:
    from posebh.reporting.report import ReportInputs

Stage = tuple[str, tuple[str, ...], tuple[str, ...]]  # (name, deps, outs)


def _paths(entries: list) -> list[str]:
    """Paths of a dvc.yaml ``deps`` / ``outs`` / ``metrics`` / ``plots`` list (str or {path: opts})."""
    return [next(iter(e)) if isinstance(e, dict) else str(e) for e in entries or []]


def _sub(path: str, item: str | None) -> str:
    return path if item is None else path.replace("${key}", item).replace("${item}", item)


def expand_stages(stages: Mapping[str, dict], lists: Mapping[str, list[str]]) -> list[Stage]:
    """(name, deps, outs) of every stage; ``foreach: ${name}`` expands over ``lists[name]``."""
    out: list[Stage] = []
    for name, spec in stages.items():
        if "foreach" in spec:
            key = str(spec["foreach"]).strip("${} ")
            if key not in lists:
                raise ValueError(f"dvc.yaml: stage {name!r} iterates over unknown list ${{{key}}}")
            items, body = lists[key], spec["do"]
        else:
            items, body = [None], spec
        for item in items:
            outs = _paths(body.get("outs")) + _paths(body.get("metrics")) + _paths(body.get("plots"))
            deps = [p for p in _paths(body.get("deps")) if not p.startswith("src/")]
            out.append((name if item is None else f"{name}@{item}",
                        tuple(_sub(p, item) for p in deps), tuple(_sub(p, item) for p in outs)))
    return out


def _feeds(out: str, dep: str) -> bool:
    return out == dep or out.startswith(dep.rstrip("/") + "/") or dep.startswith(out.rstrip("/") + "/")


def edges(stages: list[Stage]) -> list[tuple[str, str]]:
    """(upstream, downstream) stage pairs, each once, in stage order."""
    found = []
    for up, _, outs in stages:
        for down, deps, _ in stages:
            if up != down and any(_feeds(o, d) for o in outs for d in deps):
                found.append((up, down))
    return list(dict.fromkeys(found))


def reduced(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The transitive reduction: drop u -> w where a longer path u -> v -> ... -> w exists (the
    order stays the same, the drawing readable)."""
    succ: dict[str, set[str]] = {}
    for up, down in links:
        succ.setdefault(up, set()).add(down)

    def reaches(a: str, b: str) -> bool:
        todo, seen = list(succ.get(a, ())), set()
        while todo:
            n = todo.pop()
            if n == b:
                return True
            if n not in seen:
                seen.add(n)
                todo.extend(succ.get(n, ()))
        return False

    return [(u, w) for u, w in links if not any(v != w and reaches(v, w) for v in succ[u])]


def layers(stages: list[Stage], links: list[tuple[str, str]]) -> dict[str, int]:
    """Stage -> column: the length of its longest chain of upstream stages."""
    depth = {name: 0 for name, _, _ in stages}
    for _ in range(len(stages)):  # Bellman-Ford style relaxation; the DAG has no cycle
        for up, down in links:
            depth[down] = max(depth[down], depth[up] + 1)
    return depth


def figure(stages: list[Stage], links: list[tuple[str, str]]) -> plt.Figure:
    """Columns of stage boxes (left to right in run order) with an arrow per dependency."""
    depth = layers(stages, links)
    columns: dict[int, list[str]] = {}
    for name, _, _ in stages:
        columns.setdefault(depth[name], []).append(name)
    rows = max(len(c) for c in columns.values())
    pos = {n: (x * 2.2, (rows - 1) / 2 - i) for x, names in columns.items() for i, n in enumerate(names)}
    fig, ax = plt.subplots(figsize=(1.9 * len(columns) + 1, 0.55 * rows + 1))
    for up, down in links:
        (x0, y0), (x1, y1) = pos[up], pos[down]
        ax.annotate("", xy=(x1 - 0.8, y1), xytext=(x0 + 0.8, y0),
                    arrowprops={"arrowstyle": "->", "color": "0.45", "lw": 0.7})
    for name, (x, y) in pos.items():
        ax.add_patch(FancyBboxPatch((x - 0.8, y - 0.2), 1.6, 0.4, boxstyle="round,pad=0.02",
                                    facecolor="#e8eef7", edgecolor="#1f3b63", lw=0.8))
        ax.text(x, y, name, ha="center", va="center", fontsize=7.5, color="#111111")
    ax.set_xlim(-1, 2.2 * (len(columns) - 1) + 1)
    ax.set_ylim(-(rows + 1) / 2, (rows + 1) / 2)
    ax.axis("off")
    fig.tight_layout()
    return fig


def section(inputs: ReportInputs) -> Section | None:
    """The "Pipeline map" section, or None without a ``dvc.yaml``."""
    if not inputs.pipeline:
        return None
    expanded = expand_stages(inputs.pipeline, inputs.matrix_lists)
    links = edges(expanded)
    uri = to_data_uri(figure(expanded, reduced(links)))
    return Section(
        anchor="pipeline-map", title="Pipeline map",
        how=("each box is one `dvc repro` stage (a `kedro run` of one pipeline, `name@variant` for "
             "one entry of the experiment matrix); an arrow means the right stage runs after the "
             "left one because it reads what the left one writes (arrows implied by a longer path "
             "are left out), so editing a stage re-runs everything it reaches. `dvc dag` prints the "
             "same graph in a terminal."),
        figures=(Figure(uri, f"The {len(expanded)} stages of dvc.yaml ({len(links)} stage-to-stage "
                             "file dependencies, drawn without the implied ones).",
                        "Stage boxes in columns from download to report, joined by arrows."),),
    )
