"""Render the one self-contained report page (inline CSS and images, no scripts)."""

from __future__ import annotations

import math

import jinja2
import pandas as pd
from markupsafe import Markup

from posebh.reporting.compare import NA, NOT_PROVIDED, OK, PAPER_ONLY, Comparison

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("posebh.reporting", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
GRID_ATTRS = {"param", "value", "default"}
RUN_TEXT = {PAPER_ONLY: "–"}  # a literature row says "paper only" once, in its "this run" column
RELEASED_LABEL = "↳ released weights evaluated here"
MINUS = "\u2212"


def table_html(df: pd.DataFrame, precision: int = 1, text: bool = False, index: bool = True,
               caption: str = "") -> Markup:
    """A plain, byte-stable HTML table (no random Styler ids) with a ``<caption>`` (escaped);
    ``text``: left-aligned cells."""
    if df.empty:
        return Markup("<p class='note'>(no rows)</p>")
    nullable = [c for c in df.columns if pd.api.types.is_extension_array_dtype(df[c])
                and df[c].isna().any()]  # pandas prints their NA as "<NA>", not na_rep
    if nullable:
        df = df.copy()
        for c in nullable:
            df[c] = df[c].astype(object).where(df[c].notna(), "–")
    table = df.to_html(float_format=lambda v: f"{v:.{precision}f}", border=0, na_rep="–",
                       classes="text" if text else None, index=index)
    if caption:
        head, _, rest = table.partition(">")
        table = f"{head}>\n  <caption>{Markup.escape(caption)}</caption>{rest}"
    return Markup(table)


def number(value: float | None, decimals: int, signed: bool = False) -> str:
    """Fixed-precision text; '–' for missing; a real minus sign; '+' when ``signed``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"
    if float(text.replace("+", "")) == 0:
        text = f"{0:.{decimals}f}" if not signed else f"±{0:.{decimals}f}"
    return text.replace("-", MINUS)


def comparison_view(c: Comparison) -> dict:
    """What the template needs to draw one 'paper | this run | Δ' table (notes become footnotes)."""
    attrs = list(dict.fromkeys(k for r in c.table.rows for k in r.attrs if k not in GRID_ATTRS))
    cells = {(rec.row, rec.column): rec for rec in c.cells.itertuples()}
    footnotes: list[str] = []

    def marker(note: str, where: str) -> str:
        if not note:
            return ""
        footnotes.append(f"{where}: {note}")
        return f"[{len(footnotes)}]"

    rows = []
    for r in c.table.rows:
        label = r.row + marker(r.note, r.row)
        out = []
        for col in c.table.columns:
            rec = cells[(r.row, col.column)]
            paper, run, delta = (None if pd.isna(v) else float(v)
                                 for v in (rec.paper, rec.this_run, rec.delta))
            decimals = c.decimals[col.column]
            out.append({
                "paper": number(paper, col.decimals) + marker(r.cell_notes.get(col.column, ""),
                                                             f"{r.row}, {col.column}"),
                "run": number(run, decimals) if rec.status == OK else RUN_TEXT.get(rec.status, rec.status),
                "delta": number(delta, decimals, signed=True),
                "cls": "st-" + rec.status.replace(" ", "-").replace("/", ""),
            })
        rows.append({"label": label, "bold": bool(r.attrs.get("default")),
                     "attrs": [r.attrs.get(k, "") for k in attrs], "source": c.sources[r.row],
                     "cells": out})
        released = _released_row(c, r.row, cells, attrs)
        if released is not None:
            rows.append(released)
    footnotes += protocol_footnotes(c.cells)
    return {"number": c.table.table, "title": c.table.title, "caption": c.table.caption,
            "paper_note": c.table.note, "note": c.note, "attrs": attrs,
            "columns": [{"name": col.column, "unit": col.unit} for col in c.table.columns],
            "rows": rows, "footnotes": footnotes,
            "csv": f"tables/paper_table_{c.table.table:02d}.csv"}


def _released_row(c: Comparison, row: str, cells: dict, attrs: list[str]) -> dict | None:
    """The "released weights evaluated here" row beneath a paper row that maps a released model."""
    recs = [cells[(row, col.column)] for col in c.table.columns]
    if not recs or not recs[0].released_source:
        return None
    out = []
    for col, rec in zip(c.table.columns, recs):
        value, delta = (None if pd.isna(v) else float(v) for v in (rec.released, rec.released_delta))
        out.append({"paper": "", "cls": "st-" + rec.released_status.replace(" ", "-").replace("/", ""),
                    "run": (number(value, c.decimals[col.column]) if rec.released_status == OK
                            else rec.released_status),
                    "delta": number(delta, c.decimals[col.column], signed=True)})
    status = {rec.released_status for rec in recs} - {NA}
    source = (f"{recs[0].released_source} ({NOT_PROVIDED})" if status == {NOT_PROVIDED}
              else recs[0].released_source)
    return {"label": RELEASED_LABEL, "bold": False, "attrs": ["" for _ in attrs], "source": source,
            "cells": out}


def protocol_footnotes(cells: pd.DataFrame) -> list[str]:
    """One footnote per distinct protocol of this table's values (this run's, the released
    weights'), naming the columns it applies to; an average's line only where its parts have none
    (the CSV keeps every cell's line)."""
    notes: dict[tuple[str, str], list[str]] = {}
    for who, column in (("this run", "protocol"), ("released weights", "released_protocol")):
        for rec in cells.itertuples():
            text = getattr(rec, column)
            if isinstance(text, str) and text:
                cols = notes.setdefault((who, text), [])
                if rec.column not in cols:
                    cols.append(rec.column)
    def shown(who: str, text: str) -> bool:  # a mean's line repeats its parts' lines: drop it then
        parts = [p.partition(": ")[2] for p in text.split(" | ")] if " | " in text else []
        return not parts or not all((who, p) in notes for p in parts)

    return [f"Protocol, {who} ({', '.join(cols)}): {text}" for (who, text), cols in notes.items()
            if shown(who, text)]


def render(**context: object) -> str:
    """The page; DataFrames in ``context`` become plain HTML tables, captioned by the
    ``captions`` entry (context key -> caption)."""
    captions: dict = context.pop("captions", {})  # type: ignore[assignment]
    ctx = {k: table_html(v, caption=captions.get(k, "")) if isinstance(v, pd.DataFrame) else v
           for k, v in context.items()}
    return _ENV.get_template("report.html").render(**ctx)
