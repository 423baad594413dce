"""Wall time of one DVC stage under two versions of the code, same machine, same session
(``posebh bench-stage``): each version is exported (``git archive``) into a temporary folder
that reads this checkout's converted data, and runs the stage's ``kedro run`` command there.
The versions run alternately, ``repeats`` times each, so drift hits both alike.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

DATA = Path("data") / "02_intermediate"


def export(root: Path, rev: str, dest: Path) -> str:
    """``rev`` of the repository at ``root`` unpacked into ``dest``; returns its commit hash."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=root,
                            check=True, capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=root, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    (dest / DATA).parent.mkdir(parents=True, exist_ok=True)
    (dest / DATA).symlink_to((root / DATA).resolve(), target_is_directory=True)
    return commit


def run_stage(copy: Path, args: list[str]) -> float:
    """Seconds of ``kedro run <args>`` in ``copy`` with that copy's ``src`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(copy / "src"), "KEDRO_DISABLE_TELEMETRY": "1"}
    kedro = Path(sys.executable).with_name("kedro")
    t0 = time.perf_counter()
    proc = subprocess.run([str(kedro), "run", *args], cwd=copy, env=env, capture_output=True,
                          text=True, check=False)  # the failure is reported below
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"kedro run {' '.join(args)} failed in {copy}: {' | '.join(tail)}")
    return seconds


def compare_stage(root: Path, reference: str, current: str = "HEAD",
                  args: tuple[str, ...] = ("--env=base", "--pipelines=train",
                                           "--namespaces=baseline"),
                  repeats: int = 1) -> dict:
    """Stage seconds of ``current`` over ``reference`` (median of ``repeats`` alternating runs)."""
    if not (root / DATA).is_dir():
        raise FileNotFoundError(f"{root / DATA}: missing; run `dvc repro data` first")
    with tempfile.TemporaryDirectory(prefix="posebh-stage-") as tmp:
        copies, commits = {}, {}
        for label, rev in (("reference", reference), ("current", current)):
            copies[label] = Path(tmp) / label
            commits[label] = export(root, rev, copies[label])
        seconds: dict[str, list[float]] = {"reference": [], "current": []}
        for _ in range(repeats):
            for label in ("reference", "current"):
                seconds[label].append(round(run_stage(copies[label], list(args)), 2))
                shutil.rmtree(copies[label] / "data" / "06_models", ignore_errors=True)
    med = {k: statistics.median(v) for k, v in seconds.items()}
    return {"command": "kedro run " + " ".join(args), "commits": commits, "seconds": seconds,
            "ratio": round(med["current"] / med["reference"], 3)}
