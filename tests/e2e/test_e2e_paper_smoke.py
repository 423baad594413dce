"""End to end on the paper profile's code path: `dvc repro` with profile paper_smoke (conf/paper with
only the sizes shrunk) on the miniature raw tree its download stage writes, in a temporary copy."""

import csv
import json

import pytest
from test_e2e_dvc import _run, workspace

pytestmark = pytest.mark.e2e

VARIANT_TABLES = (1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12)  # Table 9 (COCO test-dev) stays n/a


def _table(work, n: int) -> list[dict]:
    with open(work / f"reports/tables/paper_table_{n:02d}.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_dvc_repro_paper_smoke_runs_every_stage_on_the_paper_path(tmp_path):
    work = workspace(tmp_path, "paper_smoke")
    out = _run(["dvc", "repro"], work).stdout

    stages = _run(["dvc", "stage", "list", "--name-only"], work).stdout.split()
    assert len(stages) > 10 and [s for s in stages if f"Running stage '{s}'" not in out] == []
    assert (work / "data/01_raw/ochuman/annotations").is_dir()  # the miniature tree, repo-relative
    status = json.loads((work / "data/01_raw/raw_status.json").read_text())
    assert status["source"] == "real" and "ochuman" in status["datasets"]
    baseline = json.loads((work / "reports/metrics/baseline.json").read_text())
    # the COCO head on OCHuman val / test and their "(occ)" sets
    assert {"ochuman", "ochuman_test", "ochuman_occ", "ochuman_occ_test"} <= set(baseline)

    t10 = {(r["row"], r["column"]): r for r in _table(work, 10)}
    for row in ("ViTPose++-B", "Ours-B"):
        for col in ("Val", "Test", "Val (occ)", "Test (occ)"):
            cell = t10[(row, col)]
            assert cell["status"] == "ok" and 0.0 <= float(cell["this_run"]) <= 100.0, cell
    metric = {"ViTPose++-B": baseline["ochuman"]["AP"] * 100}
    assert float(t10[("ViTPose++-B", "Val")]["this_run"]) == pytest.approx(metric["ViTPose++-B"],
                                                                           abs=0.05)
    for n in VARIANT_TABLES:  # every row this suite runs is filled from this run
        rows = [r for r in _table(work, n) if r["status"] not in ("paper only", "not run")]
        assert rows and [r for r in rows if r["status"] != "ok"] == [], n
    assert {r["status"] for r in _table(work, 9) if r["source"] != "paper only"} == {"n/a"}
