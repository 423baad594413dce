"""Figures as inline PNG (base64) so the HTML page stays one offline file."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def to_data_uri(fig: plt.Figure) -> str:
    """PNG bytes of ``fig`` (no timestamp metadata, so byte-stable) as a data: URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def training_curves(histories: dict[str, list[dict]]) -> plt.Figure:
    """Total training loss per epoch for each variant (log scale)."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for name, hist in histories.items():
        ax.plot([h["epoch"] + 1 for h in hist], [h["loss"] for h in hist], marker="o", ms=3,
                label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("JointsMSE (sum over heads)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
