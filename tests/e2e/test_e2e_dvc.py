"""End to end: the real `dvc repro` with the conf/test profile in a temporary copy of the project."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import ROOT

pytestmark = pytest.mark.e2e


def _tracked_copy(dst: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, dst / f)


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1", DVC_NO_ANALYTICS="1",
               PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _commit(work: Path, message: str) -> None:
    _run(["git", "add", "-A"], work)
    _run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message], work)


def workspace(tmp_path: Path, profile: str) -> Path:
    """A committed git copy of the project's tracked files with ``profile`` in params.yaml."""
    work = tmp_path / "suite"
    work.mkdir()
    _tracked_copy(work)
    (work / "params.yaml").write_text(f"profile: {profile}\n")
    _run(["git", "init", "-q"], work)
    _commit(work, "copy")
    return work


def test_dvc_repro_smoke_profile(tmp_path):
    work = workspace(tmp_path, "test")
    _run(["dvc", "repro"], work)

    html = (work / "reports/index.html").read_text()
    assert "Provenance" in html and "profile" in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    metrics = json.loads((work / "reports/metrics.json").read_text())
    assert set(metrics["baseline"]) == {"coco", "aic", "mpii", "ap10k", "apt36k", "coco_wholebody"}
    ap = metrics["baseline"]["coco"]["AP"]
    assert 0.0 <= ap <= 100.0
    assert re.search(r"<td>\d+\.\d</td>", html), "no numbers in the report tables"

    # Nothing changed: a second repro runs no stage.
    t0 = time.perf_counter()
    out = _run(["dvc", "repro"], work).stdout
    assert "Running stage" not in out
    assert time.perf_counter() - t0 < 60

    _compare_runs(work)

    # A single pipeline by name, with the spelling users type (deprecated since Kedro 1.4).
    before = (work / "reports/metrics/baseline.json").stat().st_mtime_ns
    _run(["kedro", "run", "--env=test", "--pipeline", "ablation"], work)  # asserts exit code 0
    assert (work / "reports/metrics/baseline.json").stat().st_mtime_ns > before

    # A run that fails inside training: one error, nothing stale, no shutdown tracebacks (#13).
    # The code before the fix printed six dulwich "Exception ignored" tracebacks here.
    env = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1",
               PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    failed = subprocess.run(["kedro", "run", "--env=test", "--pipelines=train", "--namespaces=aic_only",
                             "--params", "train.batch_size=100000"], cwd=work, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    log = failed.stdout + failed.stderr
    assert failed.returncode != 0 and "smaller than one batch" in log
    assert "Exception ignored" not in log
    # the failed node's old outputs and its evaluation's are gone, not left beside each other
    assert not (work / "data/06_models/aic_only.pt").exists()
    assert not (work / "reports/metrics/aic_only.json").exists()


def _compare_runs(work: Path) -> None:
    """The README's "compare two runs" commands (#15): metrics at any commit and experiment, plots."""
    shown = _run(["dvc", "metrics", "show", "--json"], work).stdout
    assert '"reports/metrics/baseline.json"' in shown and '"AP"' in shown
    _commit(work, "run 1")  # the metrics files are git files (cache: false, not ignored)
    before = json.loads((work / "reports/metrics/transfer_interhand2d.json").read_text())

    # the documented form of a hyper-parameter change: -S <conf file>:<key>=<value>
    exp = _run(["dvc", "exp", "run", "-n", "epochs3", "-S",
                "conf/test/parameters_transfer.yml:transfer.train.epochs=3"], work).stdout
    assert "Running stage 'transfer'" in exp and "Running stage 'train" not in exp
    table = _run(["dvc", "exp", "show", "--json"], work).stdout
    assert "epochs3" in table and "transfer_interhand2d.json" in table
    assert "!" not in _run(["dvc", "exp", "show", "--no-pager", "--only-changed"], work).stdout

    _commit(work, "epochs 3")
    diff = json.loads(_run(["dvc", "metrics", "diff", "HEAD~1", "--json"], work).stdout)
    changed = diff["reports/metrics/transfer_interhand2d.json"]
    old = changed["scratch.PCK@0.2"]["old"]
    assert old == before["scratch"]["PCK@0.2"] and 0 <= old <= 100  # percent, like every ratio
    assert "reports/metrics/baseline.json" not in diff  # the training stages did not re-run

    plots = json.loads(_run(["dvc", "plots", "show", "--json"], work).stdout)["data"]
    rows = [row for entries in plots.values() for e in entries for row in e["content"]["data"]["values"]]
    assert any(row.get("filename", "").startswith("baseline/") for row in rows)  # dvclive's series
    sweep = [row for title, entries in plots.items() if title.startswith("sensitivity")
             for e in entries for row in e["content"]["data"]["values"]]
    assert sweep and all("value_metric" in row for row in sweep)  # the report's sweep table
