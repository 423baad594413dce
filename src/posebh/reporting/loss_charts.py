"""Training loss per term, one small-multiple panel per term with every variant on the same axes.

Linear y axes throughout: in fine-tune phase 1 the total is ~1e-6 (only the prototype terms
train) or exactly 0 (the control), which a log axis would stretch or drop.
"""

from __future__ import annotations

from collections.abc import Collection

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from posebh import skeletons
from posebh.reporting.figures import marker

# history key -> panel title, in panel order (keys absent from every history are skipped)
TERMS: dict[str, str] = {
    "loss": "total (what the optimiser minimised)",
    **{f"loss_{d}": f"MSE, {d} head" for d in skeletons.SOURCES},
    "phm": "L_PHM (α·)", "ppc": "L_PPC (β·)", "ppd": "L_PPD (γ·)", "neg": "negatives (δ·)",
    "css": "L_CSS (ζ·)",
}
COLOURS: tuple[str, ...] = ("#1a73e8", "#e8710a", "#188038", "#a142f4", "#c5221f", "#5f6368",
                            "#007b83", "#b06000")
SCALE = "linear"


def loss_terms(histories: dict[str, list[dict]]) -> list[str]:
    """The ``TERMS`` keys some history logs, in ``TERMS`` order."""
    seen = {k for hist in histories.values() for h in hist for k in h}
    return [t for t in TERMS if t in seen]


def series(hist: list[dict], term: str) -> tuple[list[int], list[float], list[bool]]:
    """(epoch from 1, value, phase-1 flag) of the epochs that log ``term``."""
    rows = [(int(h.get("epoch", i)) + 1, float(h[term]), h.get("phase") == 1)
            for i, h in enumerate(hist) if term in h]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def loss_figure(histories: dict[str, list[dict]], faint: Collection[str] = (),
                columns: int = 4) -> plt.Figure:
    """One panel per loss term; each variant keeps its colour and marker in every panel,
    phase-1 epochs hollow; ``faint`` variants thin grey, one legend entry."""
    terms = loss_terms(histories)
    rows = max(1, -(-len(terms) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.0 * columns, 2.2 * rows + 0.6), squeeze=False)
    named = [v for v in histories if v not in faint and histories[v]]
    style = {v: (COLOURS[i % len(COLOURS)], marker(i)) for i, v in enumerate(named)}
    size = {v: max(40.0 - 6.0 * i, 8.0) for i, v in enumerate(named)}  # later ones smaller: equal
    # values (proto = posebh before CSS) stay visible as nested markers
    for ax, term in zip(axes.flat, terms):
        for name, hist in histories.items():
            x, y, first = series(hist, term)
            if not x:
                continue
            if name in faint:
                ax.plot(x, y, color="0.55", linewidth=0.8, alpha=0.7)
                continue
            colour, shape = style[name]
            ax.plot(x, y, color=colour, linewidth=1.0)
            for xi, yi, hollow in zip(x, y, first):
                ax.scatter([xi], [yi], marker=shape, s=size[name], zorder=3, linewidths=1.0,
                           edgecolors=colour, facecolors="white" if hollow else colour)
        ax.set_yscale(SCALE)
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))  # from 0: no exaggerated small changes
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(TERMS[term], fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.get_offset_text().set_fontsize(7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(terms):]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color=c, marker=m, label=v) for v, (c, m) in style.items()]
    if any(histories.get(v) for v in faint):
        handles.append(plt.Line2D([], [], color="0.55", linewidth=0.8, label="grid variants"))
    handles.append(plt.Line2D([], [], color="0.2", marker="o", markerfacecolor="white",
                              linestyle="none", label="phase 1 (hollow)"))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), fontsize=7,
               frameon=False)
    fig.supxlabel("epoch (of each variant's own schedule)", fontsize=8, y=0.06)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def caption(histories: dict[str, list[dict]]) -> str:
    """What the panels show, the y scale, and what hollow markers mean."""
    return (f"Training loss per term, one panel per term; every variant on the panel's {SCALE} y "
            "axis, starting at 0 (no log axis: in fine-tune phase 1 only the prototype terms train, so the total "
            "is ~1e-6, or exactly 0 for the control). Hollow markers: phase-1 epochs. A variant "
            "whose objective lacks a term has no line in that panel. Greek letters: the "
            "method's weights, already applied in the logged values.")
