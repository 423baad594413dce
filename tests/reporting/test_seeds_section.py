"""reporting.seeds_section: Table 5 over seeds (table5_seeds.csv, forest figure, summary sentence)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from posebh.evaluation.bootstrap import MEAN
from posebh.evaluation.instances import InstanceScores
from posebh.experiments import Ablation
from posebh.reporting import report, seeds_section
from posebh.reporting.sections import Section

ABLATION = Ablation(("baseline", "baseline_ft", "proto", "posebh"), "baseline", "baseline_ft", "posebh")
PARAMS = {"seeds": {"resamples": 200, "level": 0.9, "baseline": "shared"}}


def ratio(values: np.ndarray) -> dict:
    """Instance scores (as the seeds stage writes them) of a metric 100 · mean(values)."""
    return InstanceScores("ratio", np.arange(len(values)), hits=np.asarray(values, dtype=np.float64),
                          labelled=np.ones(len(values))).to_dict()


def scores(posebh_shift: float) -> dict:
    """baseline (one seed), baseline_ft control, proto = control, posebh = control + shift, on
    coco and mpii with seeds "0", "1" (JSON keys are strings)."""
    rng = np.random.default_rng(0)
    coco, mpii = rng.uniform(0, 0.8, 50), rng.uniform(0.2, 1.0, 30)
    out = {"baseline": {"0": {"coco": ratio(coco - 0.1), "mpii": ratio(mpii - 0.1)}}}
    for v, shift in (("baseline_ft", 0.0), ("proto", 0.0), ("posebh", posebh_shift)):
        out[v] = {s: {"coco": ratio(coco + shift + 0.001 * int(s)), "mpii": ratio(mpii)}
                  for s in ("0", "1")}
    return out


def inputs(seeds: dict, params: dict = PARAMS) -> report.ReportInputs:
    return report.ReportInputs(variants={}, ablation=ABLATION, metrics={}, histories={},
                               transfer_metrics={}, split_summary={}, params=params, seeds=seeds)


def test_no_scores_no_section():
    assert seeds_section.section(inputs({})) is None
    assert seeds_section.section(inputs({"scores": {}})) is None


@pytest.fixture(scope="module")
def built() -> Section:
    return seeds_section.section(inputs({"scores": scores(0.05)}))


def test_table_has_the_documented_columns(built):
    table = built.tables["table5_seeds"]
    assert list(built.tables) == ["table5_seeds"]
    assert list(table.columns) == seeds_section.COLUMNS == [  # the CSV's documented header
        "variant", "dataset", "label", "seeds", "mean", "std", "boot_std", "diff", "low", "high",
        "paired_seeds", "verdict"]
    assert list(dict.fromkeys(table["variant"])) == ["baseline", "baseline_ft", "proto", "posebh"]
    assert set(table["dataset"]) == {"coco", "mpii", MEAN}
    assert set(table["label"]) == {"COCO AP", "MPII PCKh", "Mean of the datasets"}
    ctrl = table[table["variant"] == "baseline_ft"]
    assert (ctrl["verdict"] == "control").all() and (ctrl["paired_seeds"] == 0).all()
    base = table[table["variant"] == "baseline"]
    assert (base["seeds"] == 1).all() and (base["paired_seeds"] == 1).all()  # seed 0 pairs
    assert (base["verdict"] == "lower than baseline_ft").all()
    posebh = table[table["variant"] == "posebh"].set_index("dataset")
    assert posebh.loc["coco", "diff"] == pytest.approx(5.0)
    assert posebh.loc["coco", "verdict"] == "higher than baseline_ft"
    assert posebh.loc["mpii", "verdict"] == "no detectable difference"
    assert posebh.loc["coco", "seeds"] == posebh.loc["coco", "paired_seeds"] == 2


def test_forest_figure_renders(built):
    assert len(built.figures) == 1
    fig = built.figures[0]
    assert fig.uri.startswith("data:image/png;base64,")
    png = Image.open(io.BytesIO(base64.b64decode(fig.uri.split(",", 1)[1])))
    assert png.size[0] > 100 and png.size[1] > 50
    assert "90 %" in fig.caption and "baseline_ft" in fig.caption


def test_notes_name_the_interval_and_the_shared_baseline(built):
    text = " ".join(built.notes)
    assert "seeds [0, 1]" in text
    assert "200 bootstrap replicates" in text and "90 %" in text
    assert "one baseline checkpoint" in text
    assert len(built.blocks) == 2 and "±" in built.blocks[0]


def test_summary_says_higher_where_the_interval_excludes_zero(built):
    summary = built.notes[-1]
    assert summary.startswith("posebh vs baseline_ft: COCO AP higher by +5.00")
    assert "Mean of the datasets higher" in summary
    assert "no detectable difference on the other 1 of 3 columns" in summary


def test_summary_says_no_detectable_difference():
    sec = seeds_section.section(inputs({"scores": scores(0.0)}))
    assert sec.notes[-1] == ("posebh vs baseline_ft: no detectable difference on any of the 3 "
                             "columns (every interval includes 0).")
    lower = seeds_section.section(inputs({"scores": scores(-0.05)}))
    assert "COCO AP lower by -5.00" in lower.notes[-1]


def test_summary_without_a_paired_headline():
    s = scores(0.0)
    s["posebh"] = {"7": s["posebh"]["0"]}  # a seed the control did not run
    sec = seeds_section.section(inputs({"scores": s}, {"seeds": {"resamples": 50, "baseline": "per_seed"}}))
    assert sec.notes[-1] == "posebh has no run paired with baseline_ft."
    assert "one baseline checkpoint" not in " ".join(sec.notes)


def test_the_report_lists_the_section():
    assert seeds_section.section in report.EVIDENCE
