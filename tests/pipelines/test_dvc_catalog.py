"""dvc.yaml and the Kedro catalog/pipelines must describe the same files (they cannot drift)."""

import re
from pathlib import Path

import pytest
from dvc.repo import Repo
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog
from support import ROOT

# Outputs written as a side effect of a node, not through the catalog (documented in the README):
# dvclive's per-epoch logs (rendered images live inside data/02_intermediate).
SIDE_EFFECTS = ("data/08_reporting/dvclive/",)


@pytest.fixture(scope="module")
def project(kedro_pipelines):
    conf = OmegaConfigLoader(str(ROOT / "conf"), base_env="base", default_run_env="base")
    catalog = DataCatalog.from_config(conf["catalog"])
    with Repo(str(ROOT)) as repo:
        stages = [(s.addressing, s.cmd, [str(Path(o.def_path)) for o in s.outs]) for s in repo.index.stages]
    return catalog, kedro_pipelines, stages


def _kedro_files(catalog, pipeline) -> set[str]:
    files = set()
    for name in pipeline.all_outputs():
        ds = catalog.get(name)
        path = ds._describe().get("filepath") if ds is not None else None
        if path:
            files.add(str(Path(path)))
    return files


def test_every_stage_runs_a_kedro_pipeline_and_declares_its_outputs(project):
    catalog, pipelines, stages = project
    assert {s[0].split("@")[0] for s in stages} == {"download", "data", "train", "finetune", "seeds", "grid",
                                                    "transfer", "adapt", "cross_skeleton", "cape", "kd",
                                                    "released", "report"}
    for name, cmd, outs in stages:
        m = re.search(r"--pipelines=(\w+)(?: --namespaces=(\w+))?", cmd)
        assert m, f"stage {name}: cmd {cmd!r} is not a kedro run"
        pipe = pipelines[m.group(1)]
        if m.group(2):
            pipe = pipe.only_nodes_with_namespaces([m.group(2)])
        produced = _kedro_files(catalog, pipe)
        assert produced, f"stage {name} produces no catalog file"
        for f in produced:
            assert any(f == o or f.startswith(o + "/") for o in outs), f"{name}: {f} not in dvc outs {outs}"
        for o in outs:
            covered = any(p == o or p.startswith(o + "/") for p in produced)
            assert covered or o.startswith(SIDE_EFFECTS), f"{name}: dvc out {o} is not written by Kedro"


def test_params_files_exist_for_every_profile(project):
    import yaml

    profile = yaml.safe_load((ROOT / "params.yaml").read_text())["profile"]
    assert (ROOT / "conf" / profile).is_dir()
    for p in ("base", "paper", "test"):
        assert (ROOT / "conf" / p / "parameters_train.yml").exists()


def test_every_plot_reads_a_series_a_stage_writes(project):
    """dvc.yaml's top-level plots point into a stage's dvclive output, at a series dvclive logs,
    or at a column of a report table."""
    import yaml

    from posebh.experiments import MATRIX_FILE, load_matrix

    _, _, stages = project
    outs = {o for _, _, stage_outs in stages for o in stage_outs}
    variants = set(load_matrix(ROOT / MATRIX_FILE).variants)
    logged = {"loss", "lr", "images_per_s", "phm", "ppc", "ppd", "neg", "css"}
    plots = yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
    assert plots
    for plot in plots:
        (title, spec), = plot.items()
        for path, field in spec["y"].items():
            if path.startswith("reports/tables/"):  # the report stage's folder out
                from posebh.reporting.sensitivity_section import COLUMNS

                assert path == "reports/tables/sensitivity.csv" and field in COLUMNS
                assert spec["x"] in COLUMNS and "reports/tables" in outs, (title, path)
                continue
            m = re.fullmatch(r"data/08_reporting/dvclive/(\w+)/plots/metrics/train/(\w+)\.tsv", path)
            assert m and m.group(1) in variants and m.group(2) == field in logged, (title, path)
            assert f"data/08_reporting/dvclive/{m.group(1)}" in outs, path
