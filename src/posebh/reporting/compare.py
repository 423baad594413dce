"""Paper | this run | Δ for each paper table, driven by ``run_mapping.yaml`` (data, not branches)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from posebh.reporting.paper import PaperRow, PaperTable, load_tables

RUN_MAPPING = Path(__file__).with_name("run_mapping.yaml")
OK, NOT_RUN, PAPER_ONLY, NA = "ok", "not run", "paper only", "n/a"
NOT_PROVIDED = "not provided"  # = posebh.zoo.released.NOT_PROVIDED (the released stage's status)
CELL_COLUMNS = ["table", "row", "column", "unit", "paper", "this_run", "delta", "source", "status",
                "protocol", "released", "released_delta", "released_source", "released_status",
                "released_protocol"]

# kind ("variant" | "transfer") -> run name -> metrics; "released" -> model -> released.json entry
Runs = dict[str, dict[str, dict]]
Protocols = dict[str, dict]  # "variant" / "transfer" -> metrics key -> line; "released" -> model -> same


@dataclass(frozen=True)
class Comparison:
    """One paper table beside this run: long cells, each paper row's run source, and the note."""

    table: PaperTable
    cells: pd.DataFrame  # CELL_COLUMNS, one row per (paper row, paper column)
    sources: dict[str, str]  # paper row -> variant / init name, or PAPER_ONLY
    decimals: dict[str, int]  # paper column -> display precision of this run's value
    note: str


@cache
def load_mapping(path: Path = RUN_MAPPING) -> dict[str, Any]:
    """The run -> paper mapping (metrics, headline, tables keyed by number)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["tables"] = {int(k): v for k, v in raw["tables"].items()}
    return raw


def runs(variant_metrics: dict[str, dict], transfer_metrics: dict[str, dict],
         released: dict[str, dict] | None = None) -> Runs:
    """This run's results by kind; transfer results re-keyed init -> target -> metrics; the
    released stage's entries as they are."""
    by_init: dict[str, dict] = {}
    for target, inits in transfer_metrics.items():
        for init, metrics in inits.items():
            by_init.setdefault(init, {})[target] = metrics
    return {"variant": {v: variant_run(m) for v, m in variant_metrics.items()}, "transfer": by_init,
            "released": dict(released or {})}


def on_paper_boxes(metrics: dict, detector: dict) -> dict:
    """GT-box metrics per dataset, overridden by the detector-box ones where the val split had
    detections (the paper's COCO val protocol, as ViTPose evaluates)."""
    return {d: {**(m if isinstance(m, dict) else {}), **detector.get(d, {})}
            for d, m in {**metrics, **{k: {} for k in detector if k not in metrics}}.items()}


def variant_run(metrics: dict) -> dict:
    """A trained variant's numbers as the tables show them: ``metrics[d]["detector"]`` (written
    where the val split has detections) replaces the GT-box numbers of that dataset."""
    detector = {d: m["detector"] for d, m in metrics.items() if isinstance(m, dict) and "detector" in m}
    return on_paper_boxes(metrics, detector)


def released_run(entry: dict) -> dict:
    """The metrics a released model's rows show, by the same rule as ``variant_run``."""
    return on_paper_boxes(entry.get("metrics") or {}, entry.get("detector_metrics") or {})


def metric_protocol(name: str, protocols: dict[str, str], mapping: dict | None = None) -> str:
    """The protocol line of a named metric (``mean_of``: each part's, by metrics key)."""
    metrics = (mapping or load_mapping())["metrics"]
    spec = metrics[name]
    if "mean_of" not in spec:
        return protocols.get(spec["path"][0], "")
    keys = dict.fromkeys(metrics[n]["path"][0] for n in spec["mean_of"] if "path" in metrics[n])
    return " | ".join(f"{k}: {protocols[k]}" for k in keys if protocols.get(k))


def _released_cell(name: str | None, entry: dict | None, metric: str | None, paper: float | None,
                   protocols: dict[str, str], mapping: dict) -> dict:
    """The released-weights columns of one cell (empty where the row has no released model)."""
    if name is None:
        return {"released": None, "released_delta": None, "released_source": "",
                "released_status": "", "released_protocol": ""}
    value, status, proto = None, NOT_RUN, ""
    if entry is not None and entry.get("status") == NOT_PROVIDED:
        status = NOT_PROVIDED
    elif entry is not None and metric is None:
        status = NA
    elif entry is not None:
        value = metric_value(metric, released_run(entry), mapping)
        status = OK if value is not None else NA
        proto = metric_protocol(metric, protocols, mapping) if value is not None else ""
    delta = value - paper if value is not None and paper is not None else None
    return {"released": _round(value), "released_delta": _round(delta), "released_source": name,
            "released_status": status, "released_protocol": proto}


def dataset_headlines(mapping: dict | None = None) -> list[tuple[str, str, str]]:
    """(dataset, label, metric name) of each per-dataset headline of ``run_mapping.yaml``
    (averages over datasets, which have no ``path``, left out), in the mapping's order."""
    mapping = mapping or load_mapping()
    return [(mapping["metrics"][name]["path"][0], label, name)
            for label, name in mapping["headline"].items() if "path" in mapping["metrics"][name]]


def metric_value(name: str, run: dict, mapping: dict | None = None) -> float | None:
    """A named metric of one run on the paper's scale; None where the run lacks it.

    COCOeval's -1 (no object in an area range) counts as missing.
    """
    spec = (mapping or load_mapping())["metrics"][name]
    if "mean_of" in spec:
        parts = [metric_value(n, run, mapping) for n in spec["mean_of"]]
        return None if any(p is None for p in parts) else sum(parts) / len(parts)
    node: Any = run
    for key in spec["path"]:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, (int, float)) or node == -1 or math.isnan(node):
        return None
    return float(node) * spec.get("scale", 1)


def _same(a: Any, b: Any) -> bool:
    """Grid values equal up to float noise (scalars or [beta, gamma] lists)."""
    a_list, b_list = (list(x) if isinstance(x, (list, tuple)) else [x] for x in (a, b))
    return len(a_list) == len(b_list) and all(
        math.isclose(float(x), float(y), rel_tol=1e-6) for x, y in zip(a_list, b_list))


def grid_spec(spec: dict) -> dict:
    """A variant's grid point {table, param, value}: its ``grid`` key, or the spec itself if it has them."""
    if isinstance(spec.get("grid"), dict):
        return spec["grid"]
    return spec if {"param", "value"} <= set(spec) else {}


def method_grid_values(method: dict) -> dict[str, Any]:
    """The grid parameters' values in a run's method config (Tables 6-8 symbols)."""
    keys = {"F": "embed_dim", "alpha": "alpha", "delta": "delta", "zeta": "zeta"}
    out = {p: method[k] for p, k in keys.items() if k in method}
    if "beta" in method and "gamma" in method:
        out["beta_gamma"] = [method["beta"], method["gamma"]]
    return out


def grid_variant(table: int, row: PaperRow, variants: dict[str, dict], default_run: str,
                 run_values: dict[str, Any] | None = None) -> str | None:
    """The variant that ran this grid row: ``default_run`` on the row of the run's own method
    value (the paper's bold default when ``run_values`` is not given), else a ``grid`` match."""
    param = row.attrs.get("param")
    if run_values and param in run_values:
        if _same(run_values[param], row.attrs.get("value")):
            return default_run
    elif row.attrs.get("default"):
        return default_run
    for name, spec in variants.items():
        grid = grid_spec(spec)
        if (grid.get("table", table) == table and grid.get("param") == row.attrs.get("param")
                and "value" in grid and _same(grid["value"], row.attrs.get("value"))):
            return name
    return None


def _grid_note(cells: pd.DataFrame, table: PaperTable) -> str:
    ran = cells[cells.status == OK].row.unique().tolist()
    missing = cells[cells.status == NOT_RUN].row.unique().tolist()
    if not missing:
        return "Full grid run."
    done = ", ".join(ran) if ran else "none"
    return (f"Grid reduced in this profile: {len(ran)} of {len(table.rows)} values run ({done}); "
            f"not run: {', '.join(missing)}.")


def compare_table(number: int, results: Runs, variants: dict[str, dict], differs: str,
                  mapping: dict | None = None, method: dict | None = None,
                  protocols: Protocols | None = None) -> Comparison:
    """Paper | this run | Δ for paper table ``number``, the released weights' value where the
    table maps a released model on the row, and the protocol line of every value."""
    mapping = mapping or load_mapping()
    table = load_tables()[number]
    spec = mapping["tables"][number]
    kind_runs = results.get(spec["runs"], {})
    columns: dict[str, str] = spec.get("columns", {})
    own = (protocols or {}).get(spec["runs"], {})
    released, released_protos = results.get("released", {}), (protocols or {}).get("released", {})
    records, sources = [], {}
    for row in table.rows:
        name = (grid_variant(number, row, variants, spec["default_run"],
                             method_grid_values(method or {})) if spec.get("grid")
                else spec.get("rows", {}).get(row.row))
        sources[row.row] = name or (NOT_RUN if spec.get("grid") else PAPER_ONLY)
        for col in table.columns:
            paper_value, run_value = row.values[col.column], None
            if name is None:
                status = NOT_RUN if spec.get("grid") else PAPER_ONLY
            elif "na" in spec or col.column not in columns:
                status = NA
            elif not kind_runs.get(name):  # absent (or an empty metrics dict)
                status = NOT_RUN
            else:
                run_value = metric_value(columns[col.column], kind_runs[name], mapping)
                status = OK if run_value is not None else NA
            delta = (run_value - paper_value) if run_value is not None and paper_value is not None else None
            rel = spec.get("released", {}).get(row.row)
            records.append({"table": number, "row": row.row, "column": col.column, "unit": col.unit,
                            "paper": paper_value, "this_run": _round(run_value), "delta": _round(delta),
                            "source": sources[row.row], "status": status,
                            "protocol": (metric_protocol(columns[col.column], own, mapping)
                                         if status == OK else ""),
                            **_released_cell(rel, released.get(rel) if rel else None,
                                             None if "na" in spec else columns.get(col.column),
                                             paper_value, released_protos.get(rel, {}), mapping)})
    cells = pd.DataFrame.from_records(records, columns=CELL_COLUMNS)
    parts = [spec.get("note", "").strip()]
    if "na" in spec:
        parts.append(f"This run: n/a — {spec['na']}.")
    if spec.get("grid"):
        parts.append(_grid_note(cells, table))
    if "na_note" in spec and (cells.status == NA).any():
        parts.append(spec["na_note"].strip())
    if "na" not in spec and differs:
        parts.append(f"This run: {differs.strip().rstrip('.')}.")
    decimals = {c.column: mapping["metrics"].get(columns.get(c.column, ""), {}).get("decimals", c.decimals)
                for c in table.columns}
    return Comparison(table=table, cells=cells, sources=sources, decimals=decimals,
                      note=" ".join(p for p in parts if p))


def compare_all(results: Runs, variants: dict[str, dict], differs: str,
                method: dict | None = None, protocols: Protocols | None = None
                ) -> dict[int, Comparison]:
    """Every transcribed paper table, in order."""
    return {n: compare_table(n, results, variants, differs, method=method, protocols=protocols)
            for n in load_tables()}


def headline(results: Runs, a: str, b: str, control: str) -> pd.DataFrame:
    """Variant ``b`` vs ``a`` on the headline metrics of ``run_mapping.yaml`` (Δ = b - a), and vs
    ``control`` (the baseline with the same extra fine-tuning, no PoseBH term) when it ran."""
    mapping = load_mapping()
    names = [a, control, b] if control in results["variant"] else [a, b]
    rows = []
    for label, metric in mapping["headline"].items():
        v = {n: (metric_value(metric, results["variant"][n], mapping) if n in results["variant"]
                 else None) for n in names}
        row = {"metric": label, **{n: _round(v[n]) for n in names},
               "Δ": _round(v[b] - v[a]) if v[a] is not None and v[b] is not None else None}
        if control in v:
            ok = v[control] is not None and v[b] is not None
            row[f"Δ vs {control}"] = _round(v[b] - v[control]) if ok else None
        rows.append(row)
    columns = ["metric", *names, "Δ"] + ([f"Δ vs {control}"] if control in names else [])
    return pd.DataFrame(rows, columns=columns).astype({c: float for c in columns[1:]})


def _round(v: float | None, digits: int = 4) -> float | None:
    return None if v is None else round(float(v), digits)
