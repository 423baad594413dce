"""Figures as inline PNG (base64) so the HTML page stays one offline file; training curves."""

from __future__ import annotations

import base64
import io
from collections.abc import Collection

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def to_data_uri(fig: plt.Figure, dpi: int = 100) -> str:
    """PNG bytes of ``fig`` (no Software/time metadata, so byte-stable) as a data: URI; closes it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def training_curves(histories: dict[str, list[dict]], faint: Collection[str] = ()) -> plt.Figure:
    """Total training loss per epoch for each variant (log scale); ``faint`` ones thin, one legend entry."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    faint_label = "grid variants"
    for name, hist in histories.items():
        if not hist:
            continue
        x = [h.get("epoch", i) + 1 for i, h in enumerate(hist)]
        y = [h["loss"] for h in hist]
        if name in faint:
            ax.plot(x, y, color="0.6", linewidth=0.8, alpha=0.7, label=faint_label)
            faint_label = "_nolegend_"
        else:
            ax.plot(x, y, marker="o", ms=3, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch (of each variant's own schedule)")
    ax.set_ylabel("training loss (sum over heads)")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return fig
