"""Evidence sections of the report: each is built by its own module from ``ReportInputs``.

A section is a title, a short HTML body (notes, tables, inline figures) and the CSV tables it
publishes under ``reports/tables/<name>.csv``. ``report.build`` calls each section builder in
``report.EVIDENCE`` order; the template renders them all the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from markupsafe import Markup


@dataclass(frozen=True)
class Figure:
    """An inline PNG (data: URI) with its caption."""

    uri: str
    caption: str = ""
    alt: str = ""


@dataclass(frozen=True)
class Section:
    """One evidence section: ``anchor`` (HTML id), ``title``, ``how`` (one line: how to read it),
    ``notes`` (paragraphs, plain text or Markup), ``blocks`` (Markup: captioned tables),
    ``figures``, ``tables`` (CSV name -> DataFrame)."""

    anchor: str
    title: str
    how: str = ""
    notes: tuple[str | Markup, ...] = ()
    blocks: tuple[Markup, ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def csv_links(section: Section) -> list[str]:
    """Relative links of the CSVs a section publishes."""
    return [f"tables/{name}.csv" for name in section.tables]
