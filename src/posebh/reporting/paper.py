"""The paper's Tables 1-12 (``paper_values.yaml`` beside this file) as typed records and a long table."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

PAPER_VALUES = Path(__file__).with_name("paper_values.yaml")
LONG_COLUMNS = ["table", "row", "column", "value", "unit", "note"]


@dataclass(frozen=True)
class PaperColumn:
    """One metric column: its header, unit, printed precision and direction."""

    column: str
    unit: str
    decimals: int = 1
    better: str = "higher"


@dataclass(frozen=True)
class PaperRow:
    """One row: label, non-metric attributes, values by column (None = '-'), notes."""

    row: str
    values: dict[str, float | None]
    attrs: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    cell_notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PaperTable:
    """One of the paper's tables."""

    table: int
    title: str
    caption: str
    columns: tuple[PaperColumn, ...]
    rows: tuple[PaperRow, ...]
    note: str = ""

    def row(self, label: str) -> PaperRow:
        for r in self.rows:
            if r.row == label:
                return r
        raise KeyError(f"Table {self.table} has no row {label!r}")

    def column(self, name: str) -> PaperColumn:
        for c in self.columns:
            if c.column == name:
                return c
        raise KeyError(f"Table {self.table} has no column {name!r}")


def _row(raw: dict, columns: tuple[PaperColumn, ...], table: int) -> PaperRow:
    values: dict[str, float | None] = {}
    notes: dict[str, str] = {}
    for col in columns:
        if col.column not in raw["values"]:
            raise ValueError(f"Table {table}, row {raw['row']!r}: no value for column {col.column!r}")
        cell = raw["values"][col.column]
        if isinstance(cell, dict):
            notes[col.column] = cell.get("note", "")
            cell = cell["value"]
        values[col.column] = None if cell is None else float(cell)
    extra = set(raw["values"]) - {c.column for c in columns}
    if extra:
        raise ValueError(f"Table {table}, row {raw['row']!r}: unknown columns {sorted(extra)}")
    return PaperRow(row=raw["row"], values=values, attrs=dict(raw.get("attrs") or {}),
                    note=raw.get("note", ""), cell_notes=notes)


def _table(raw: dict) -> PaperTable:
    columns = tuple(PaperColumn(**c) for c in raw["columns"])
    return PaperTable(table=int(raw["table"]), title=raw["title"], caption=raw["caption"].strip(),
                      columns=columns, rows=tuple(_row(r, columns, raw["table"]) for r in raw["rows"]),
                      note=raw.get("note", "").strip())


@cache
def load_tables(path: Path = PAPER_VALUES) -> dict[int, PaperTable]:
    """Every transcribed table, keyed by its number (1-12), in order."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["tables"]
    tables = {t.table: t for t in map(_table, raw)}
    if len(tables) != len(raw):
        raise ValueError(f"{path}: duplicate table numbers")
    return tables


def paper_values(path: Path = PAPER_VALUES) -> pd.DataFrame:
    """Long table: one row per (table, row, column) with value (NaN for '-'), unit and note."""
    records = []
    for t in load_tables(path).values():
        for r in t.rows:
            for c in t.columns:
                note = "; ".join(n for n in (r.note, r.cell_notes.get(c.column, "")) if n)
                records.append({"table": t.table, "row": r.row, "column": c.column,
                                "value": r.values[c.column], "unit": c.unit, "note": note})
    return pd.DataFrame.from_records(records, columns=LONG_COLUMNS)


def value(table: int, row: str, column: str) -> float | None:
    """One paper value (None where the paper prints '-')."""
    return load_tables()[table].row(row).values[column]
