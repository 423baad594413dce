"""Render the one self-contained report page (inline CSS and images, no scripts)."""

from __future__ import annotations

import jinja2
from markupsafe import Markup
import pandas as pd

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("posebh.reporting", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    keep_trailing_newline=True,
)


def table_html(df: pd.DataFrame, precision: int = 1) -> str:
    """A plain, byte-stable HTML table (no random Styler ids)."""
    if df.empty:
        return "<p class='note'>(no rows)</p>"
    return df.to_html(float_format=lambda v: f"{v:.{precision}f}", border=0, na_rep="–")


def render(**context: object) -> str:
    tables = {k: Markup(table_html(v)) if isinstance(v, pd.DataFrame) else v
              for k, v in context.items()}
    return _ENV.get_template("report.html").render(**tables)
