"""The transcribed paper tables (posebh/reporting/paper_values.yaml) against the paper's own text."""

import math
import re

import pytest
from support import SHARED

from posebh.reporting import paper

PAPER = SHARED / "papers" / "posebh.txt"
pytestmark = pytest.mark.skipif(not PAPER.exists(), reason=f"{PAPER} not present")

_SCI = re.compile(r"^(\d+(?:\.\d+)?)×10\^\{(-?\d+)\}$")
_NUM = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(?:\[†+\]|\^\{†+\})?$")


def _cell(text: str) -> float | str | None:
    """A paper cell: float ('90.3 [†]', '3.33×10^{-6}'), None for '-', else the text."""
    text = text.strip()
    if text == "-":
        return None
    if m := _SCI.match(text):
        return float(m.group(1)) * 10 ** int(m.group(2))
    if m := _NUM.match(text):
        return float(m.group(1))
    return text


def _block(number: int) -> list[list[str]]:
    """The tab-separated lines printed just above the caption 'Table N.' in the paper text."""
    lines = PAPER.read_text(encoding="utf-8").splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith(f"Table {number}."))
    i = end - 1
    while not lines[i].strip():
        i -= 1
    block = []
    while "\t" in lines[i]:
        block.append(lines[i].split("\t"))
        i -= 1
    return block[::-1]


def _line(number: int, first_cell: str, occurrence: int = 0) -> list[float | str | None]:
    rows = [r for r in _block(number) if r[0].strip() == first_cell]
    return [_cell(c) for c in rows[occurrence]]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# (table, first cell of the paper's line, occurrence, cell index, yaml row, yaml column)
SPOT_CHECKS = [
    (1, "UniHCP", 0, 1, "UniHCP", "GFLOPS"),
    (1, "Ours", 0, 2, "Ours", "COCO"),
    (1, "ViTPose++", 0, 4, "ViTPose++", "MPII"),
    (2, "Ours", 0, 2, "Ours", "APT-36K"),
    (2, "UniHCP", 0, 4, "UniHCP", "Avg."),
    (3, "HRNet", 0, 7, "HRNet", "MPII PCKh"),
    (3, "PCT [†]", 1, 5, "PCT (Swin-H)", "COCO AP75"),
    (3, "UniHCP", 0, 7, "UniHCP", "MPII PCKh"),
    (3, "ViTPose++-B", 0, 4, "ViTPose++-B", "COCO AP50"),
    (3, "Ours", 1, 8, "Ours (ViT-H)", "MPII PCKh@0.1"),
    (4, "UniHCP", 0, 3, "UniHCP", "InterHand2.6M EPE"),
    (4, "Ours", 0, 4, "Ours", "3DPW AP"),
    (5, "Baseline", 0, 5, "Baseline", "APT"),
    (5, "+ $\\mathcal{L}_{\\text{Proto}}$", 0, 7, "+ L_Proto", "Avg."),
    (5, "+ \\mathcal{L}_{CSS}", 0, 6, "+ L_CSS", "CW"),
    (6, "128", 0, 1, "F = 128", "AP"),
    (8, "5.0×10^{-3}", 0, 1, "δ = 5.0e-3", "AP"),
    (8, "1.0×10^{-2}", 0, 3, "ζ = 1.0e-3", "AP"),
    (9, "Ours-H", 0, 6, "Ours-H", "AR"),
    (10, "Ours-B", 0, 4, "Ours-B", "Test (occ)"),
    (11, "+UniDet", 0, 1, "+UniDet", "Average score"),
    (12, "Trn. scratch", 0, 2, "Trn. scratch", "3DPW"),
]


@pytest.mark.parametrize("table, first, occurrence, index, row, column", SPOT_CHECKS)
def test_spot_check_against_paper_text(table, first, occurrence, index, row, column):
    printed = _line(table, first, occurrence)[index]
    assert isinstance(printed, float), f"Table {table} {first!r} cell {index}: {printed!r}"
    assert paper.value(table, row, column) == pytest.approx(printed)


def test_table3_attrs_and_missing_cells_match_the_paper():
    t3 = paper.load_tables()[3]
    assert t3.row("PCT (Swin-H)").attrs == {"backbone": "Swin-H", "datasets": 1}
    assert t3.row("UniHCP").attrs["datasets"] == 33
    printed_dashes = sum(c.strip() == "-" for r in _block(3) for c in r)
    assert printed_dashes == sum(v is None for r in t3.rows for v in r.values.values())
    assert "fine-tuning" in t3.row("UniHCP").cell_notes["MPII PCKh"]  # the †† of 93.2


def test_grid_parameters_match_the_paper():
    t7 = paper.load_tables()[7]
    assert t7.row("α = 6.25e-6").attrs["value"] == pytest.approx(_line(7, "6.25×10^{-6}")[0])
    beta, gamma, _ = [c for c in _line(7, "5.00×10^{-7}") if c != ""]
    assert t7.row("β/γ = 5.00e-7/5.00e-8").attrs["value"] == pytest.approx([beta, gamma])
    defaults = {r.row for t in (6, 7, 8) for r in paper.load_tables()[t].rows if r.attrs.get("default")}
    assert defaults == {"F = 64", "α = 3.33e-6", "β/γ = 1.25e-7/1.25e-8", "δ = 1.0e-2", "ζ = 1.0e-3"}


@pytest.mark.parametrize("number", range(1, 13))
def test_every_number_of_a_table_is_transcribed_and_nothing_else(number):
    """Per table, the set of numbers in the paper's block equals the set in the YAML (values + attrs)."""
    printed = {round(c, 12) for r in _block(number) for c in map(_cell, r) if isinstance(c, float)}
    t = paper.load_tables()[number]
    ours = {round(v, 12) for r in t.rows for v in r.values.values() if v is not None}
    for r in t.rows:
        for key in ("datasets", "value"):
            attr = r.attrs.get(key)
            for v in (attr if isinstance(attr, list) else [attr]):
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    ours.add(round(float(v), 12))
    assert {p for p in printed if not any(_close(p, o) for o in ours)} == set()
    assert {o for o in ours if not any(_close(o, p) for p in printed)} == set()


def test_long_table_shape_and_tags():
    df = paper.paper_values()
    assert list(df.columns) == paper.LONG_COLUMNS
    assert sorted(df.table.unique()) == list(range(1, 13))
    assert not df.duplicated(["table", "row", "column"]).any()
    ours = df[(df.table == 1) & (df.row == "Ours") & (df.column == "GFLOPS")].iloc[0]
    assert (ours.value, ours.unit) == (18.5, "GFLOPs")
    assert df[(df.table == 3)].value.isna().sum() == 10
