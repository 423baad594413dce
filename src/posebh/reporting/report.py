"""Assemble the report from the pipeline's outputs: tables, figures, page, CSVs and DVC metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from posebh import skeletons
from posebh.experiments import Ablation
from posebh.reporting import (
    adapt_section,
    bars,
    cape_section,
    compare,
    cross_section,
    diagnostics_section,
    figures,
    floor,
    html,
    kd_section,
    loss_charts,
    overlays,
    pipeline_map,
    protocols,
    seeds_section,
    sensitivity_section,
    tables,
    timings,
    tsne,
)
from posebh.reporting.sections import Figure, Section, csv_links

OVERLAY_MODELS: tuple[str, ...] = ("baseline", "posebh")


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report reads (structures as the pipelines write them)."""

    variants: dict[str, dict]  # name -> spec: description, optional ablation, optional grid
    ablation: Ablation  # Table 5's rows, baseline, control and headline (from the matrix)
    metrics: dict[str, dict]  # variant -> dataset -> metrics (AP as fractions, MPII PCKh in %)
    histories: dict[str, list[dict]]  # variant -> per-epoch dicts (loss, seconds, ...)
    transfer_metrics: dict[str, dict]  # target -> init -> metrics
    split_summary: dict  # APT-36K split -> {videos, images, instances, species}
    params: dict  # model, train, data, evaluation, transfer, report, method
    predictions: dict[str, dict[str, list]] = field(default_factory=dict)  # variant -> dataset -> results
    val_sets: dict[str, dict] = field(default_factory=dict)  # dataset -> COCO dict (info.image_root)
    prototypes: dict | None = None  # {"bank": (J, M, F) array/tensor, "labels": [[dataset, name], ...]}
    transfer_prototypes: dict[str, dict] = field(default_factory=dict)  # target -> same structure
    seeds: dict = field(default_factory=dict)  # {"scores": {variant: {seed: {dataset: instance scores}}}}
    cross_skeleton: dict = field(default_factory=dict)  # what the cross_skeleton stage writes
    cross_scores: dict = field(default_factory=dict)  # its per-instance scores {units, cells}
    pipeline: dict = field(default_factory=dict)  # dvc.yaml's `stages` (the pipeline map)
    matrix_lists: dict = field(default_factory=dict)  # foreach list name -> matrix entries
    released: dict = field(default_factory=dict)  # reports/metrics/released.json (model -> entry)
    adapt: dict = field(default_factory=dict)  # reports/metrics/adapt.json (target -> recipe -> init)
    adapt_timings: dict = field(default_factory=dict)  # its training wall times (seconds per seed)
    kd: dict = field(default_factory=dict)  # reports/metrics/kd.json (the kd stage, #17)
    kd_scores: dict = field(default_factory=dict)  # its per-instance cross-skeleton scores
    kd_timings: dict = field(default_factory=dict)  # its teacher cost and wall seconds
    cape: dict = field(default_factory=dict)  # reports/metrics/cape.json ({} where not run)

    @cached_property
    def seed_table(self) -> pd.DataFrame | None:
        """Table 5 over seeds (``seeds_section.table``), computed once per inputs object."""
        return seeds_section.table(self)


@dataclass(frozen=True)
class ReportOutputs:
    html: str
    per_dataset: pd.DataFrame
    transfer: pd.DataFrame
    paper_tables: dict[int, pd.DataFrame]  # table number -> long "paper | this run | Δ" cells
    neighbours: pd.DataFrame
    metrics: dict  # reports/metrics.json (DVC metrics)
    timings: dict  # reports/timings.json (varies run to run; not in the page)
    evidence_tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # reports/tables/<name>.csv


SectionBuilder = Callable[[ReportInputs], "Section | None"]
EVIDENCE: tuple[SectionBuilder, ...] = (  # evidence sections, in page order
    seeds_section.section,
    sensitivity_section.section,
    floor.section,
    cross_section.section,
    adapt_section.section,
    kd_section.section,
    cape_section.section,
    diagnostics_section.section,
    pipeline_map.section,
)


def evidence_sections(inputs: ReportInputs) -> list[Section]:
    """The evidence sections this run can show (each builder returns None when it has no data)."""
    return [s for s in (build(inputs) for build in EVIDENCE) if s is not None]


def _array(x: Any) -> np.ndarray:
    """A numpy copy of a numpy array or a torch tensor (without importing torch)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().float().numpy()
    return np.asarray(x, dtype=np.float64)


def _prototype_section(inputs: ReportInputs, cfg: dict) -> tuple[str, str | None, pd.DataFrame]:
    """(note, t-SNE figure URI or None, neighbour table)."""
    if not inputs.prototypes:
        return ("No prototype bank in this run (the posebh variant did not run).", None,
                pd.DataFrame(columns=tsne.NEIGHBOUR_COLUMNS))
    banks = [(_array(inputs.prototypes["bank"]), inputs.prototypes["labels"])]
    banks += [(_array(p["bank"]), p["labels"]) for _, p in sorted(inputs.transfer_prototypes.items())]
    points, labels = tsne.combine(banks)
    probes = [tuple(p) for p in cfg.get("probes", tsne.PROBES)]
    neighbours = tsne.nearest_neighbours(points, labels, probes)
    seed = int(cfg.get("seed", 0))
    xy = tsne.embed(points, seed=seed, perplexity=float(cfg.get("perplexity", 30)),
                    max_iter=int(cfg.get("max_iter", 1000)))
    shape = _array(inputs.prototypes["bank"]).shape
    extra = ", ".join(f"{t} ({len(p['labels'])} keypoints)"
                      for t, p in sorted(inputs.transfer_prototypes.items()))
    note = (f"{len(points)} prototypes: the posebh variant's bank (J = {shape[0]} keypoints × "
            f"M = {shape[1]}, F = {shape[2]})"
            + (f" plus the transfer prototypes of {extra}, learned with the embedding frozen"
               if extra else "")
            + f". scikit-learn t-SNE, cosine metric, PCA init, random_state {seed}.")
    protos = [inputs.prototypes, *(p for _, p in sorted(inputs.transfer_prototypes.items()))]
    unused = tsne.unused_points(protos)  # (N,) per prototype, in the order of ``combine``
    note += (" Colour: body part (body_parts.json); marker: dataset"
             + (f"; hollow grey: the {int(unused.sum())} prototypes that never learned "
                "(no foreground pixel, or bank equal to its initialisation)" if unused is not None
                else "") + ".")
    fig = tsne.part_figure(xy, labels, unused, neighbours)
    return note, figures.to_data_uri(fig), neighbours


def _overlay_section(inputs: ReportInputs, cfg: dict) -> list[dict]:
    n = int(cfg.get("images_per_dataset", 2))
    min_score = float(cfg.get("min_keypoint_score", 0.3))
    out = []
    for dataset in skeletons.SOURCES:
        if dataset not in inputs.val_sets:
            continue
        preds = {m: inputs.predictions.get(m, {}).get(dataset) if m in inputs.predictions else None
                 for m in OVERLAY_MODELS}
        fig = overlays.overlay_figure(dataset, inputs.val_sets[dataset], preds, n, min_score)
        out.append({"dataset": dataset, "uri": figures.to_data_uri(fig)})
    return out


def _bar_chart(inputs: ReportInputs) -> Figure | None:
    """Per-dataset bars of the non-grid variants (grid points are in Tables 6-8 and the sweeps)."""
    runs = {v: inputs.metrics[v] for v in [*inputs.variants, *inputs.metrics]
            if v in inputs.metrics and not compare.grid_spec(inputs.variants.get(v, {}))}
    values = bars.bar_values(runs, inputs.seed_table)
    if values.empty:
        return None
    return Figure(figures.to_data_uri(bars.bar_figure(values, order=list(runs))), bars.caption(values),
                  "bar charts of the headline metric per dataset, one bar per variant")


def _loss_chart(inputs: ReportInputs) -> Figure | None:
    histories = {v: h for v, h in inputs.histories.items() if h}
    if not loss_charts.loss_terms(histories):
        return None
    grid = {v for v, s in inputs.variants.items() if compare.grid_spec(s)}
    return Figure(figures.to_data_uri(loss_charts.loss_figure(histories, faint=grid)),
                  loss_charts.caption(histories), "training loss per term and epoch, per variant")


def _grid_text(grid: dict) -> str:
    if not grid:
        return ""
    where = "sweep" if grid.get("table") is None else f"Table {grid['table']}"
    return f"{where}: {grid['param']} = {grid['value']}"


def _variants_table(inputs: ReportInputs) -> pd.DataFrame:
    rows = [{"variant": v, "description": spec.get("description", ""),
             "ablation": "yes" if spec.get("ablation") else "",
             "grid": _grid_text(compare.grid_spec(spec)),
             "in this run": "yes" if v in inputs.metrics else "not run"}
            for v, spec in inputs.variants.items()]
    return pd.DataFrame(rows, columns=["variant", "description", "ablation", "grid", "in this run"])


def _files(inputs: ReportInputs, numbers: list[int], sections: list[Section]) -> list[str]:
    return (["metrics.json", "timings.json"]
            + [f"tables/paper_table_{n:02d}.csv" for n in numbers]
            + ["tables/per_dataset.csv", "tables/transfer.csv", "tables/prototype_neighbours.csv"]
            + [link for s in sections for link in csv_links(s)]
            + [f"metrics/{v}.json" for v in inputs.metrics]
            + [f"metrics/transfer_{t}.json" for t in inputs.transfer_metrics]
            + (["metrics/released.json"] if inputs.released else [])
            + (["metrics/adapt.json"] if inputs.adapt else [])
            + (["metrics/kd.json"] if inputs.kd else [])
            + (["metrics/cape.json"] if inputs.cape else [])
            + [f"../data/08_reporting/{v}_history.json" for v in inputs.histories])


def build(inputs: ReportInputs, provenance: dict) -> ReportOutputs:
    """The whole report; byte-identical for identical inputs and provenance."""
    cfg = inputs.params.get("report", {})
    results = compare.runs(inputs.metrics, inputs.transfer_metrics, inputs.released)
    protos = protocols.run_protocols(inputs.metrics, inputs.transfer_metrics, inputs.released,
                                     inputs.params.get("evaluation") or {}, cfg.get("profile", ""))
    comparisons = compare.compare_all(results, inputs.variants, cfg.get("differs", ""),
                                      method=inputs.params.get("method"), protocols=protos)
    long = tables.per_dataset(results["variant"], protos["variant"])
    transfer = tables.transfer_table(inputs.transfer_metrics, protos["transfer"])
    tsne_note, tsne_uri, neighbours = _prototype_section(inputs, cfg.get("tsne", {}))
    ov_cfg = cfg.get("overlays", {})
    sections = evidence_sections(inputs)
    page = html.render(
        prov=provenance,
        profile_note=cfg.get("note", ""),
        headline_table=html.table_html(compare.headline(results, inputs.ablation.baseline,
                                                           inputs.ablation.headline,
                                                           inputs.ablation.control), index=False,
                                       caption="Headline metrics of this run, in %."),
        paper_tables=[html.comparison_view(c) for c in comparisons.values()],
        variants_table=html.table_html(_variants_table(inputs), text=True, index=False,
                                       caption="The experiment matrix's variants and whether "
                                               "each ran in this profile."),
        results_chart=_bar_chart(inputs),
        results_table=tables.wide(long),
        transfer_table=tables.wide(transfer, rows=("target", "metric"), column="init"),
        tsne_note=tsne_note,
        tsne_figure=tsne_uri,
        neighbours_table=html.table_html(neighbours, precision=3, text=True, index=False,
                                         caption="Nearest keypoints of each other dataset to "
                                                 "the probe keypoints (cosine similarity)."),
        overlay_note=(f"Left column: the ground truth (labelled keypoints, green); then the predicted "
                      f"skeletons of {' and '.join(OVERLAY_MODELS)}, on the first "
                      f"{ov_cfg.get('images_per_dataset', 2)} validation images (by id) of each "
                      f"source dataset; predicted keypoints with score ≥ "
                      f"{ov_cfg.get('min_keypoint_score', 0.3)}."),
        overlays=_overlay_section(inputs, ov_cfg),
        curves=_loss_chart(inputs),
        split_table=pd.DataFrame(inputs.split_summary).T,
        captions={"results_table": "Every variant's headline numbers per dataset (rows) and "
                                   "variant (columns), in % (EPE in px).",
                  "transfer_table": "Transfer runs: metric per target (rows) and init (columns), "
                                    "in % (EPE in px).",
                  "split_table": "APT-36K analogue split: videos, images, instances and species "
                                 "per split."},
        sections=sections,
        files=_files(inputs, list(comparisons), sections),
    )
    return ReportOutputs(
        html=page, per_dataset=long, transfer=transfer,
        paper_tables={n: c.cells for n, c in comparisons.items()}, neighbours=neighbours,
        metrics=tables.headline_metrics(results["variant"], inputs.transfer_metrics),
        timings=timings.timings(inputs.histories, inputs.adapt_timings),
        evidence_tables={n: df for sec in sections for n, df in sec.tables.items()})
