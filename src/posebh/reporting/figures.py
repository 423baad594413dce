"""Figures as inline PNG (base64) so the HTML page stays one offline file."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def to_data_uri(fig: plt.Figure, dpi: int = 100) -> str:
    """PNG bytes of ``fig`` (no Software/time metadata, so byte-stable) as a data: URI; closes it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


SERIES_MARKERS: tuple[str, ...] = ("o", "s", "D", "^", "v", "P", "X", "*")


def marker(i: int) -> str:
    """The marker of the ``i``-th series of a chart, so series differ by shape as well as colour."""
    return SERIES_MARKERS[i % len(SERIES_MARKERS)]
