"""Profiles are deltas over conf/base; parameters are checked before a run; stale outputs go (#10, #13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import ROOT, profile_params

from posebh.hooks import defining_file, stale_outputs


def _leaves(doc, path=()):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _leaves(v, (*path, k))
    else:
        yield path, doc


def _tree(env: str) -> dict:
    out: dict = {}
    for f in sorted((ROOT / "conf" / env).glob("parameters*.yml")):
        out.update(yaml.safe_load(f.read_text()) or {})
    return out


PROFILES = sorted(p.name for p in (ROOT / "conf").iterdir()
                  if p.is_dir() and p.name not in ("base", "local"))


def test_paper_smoke_is_a_profile():
    assert {"paper", "paper_smoke", "study", "test"} <= set(PROFILES)


@pytest.mark.parametrize("env", PROFILES)
def test_a_profile_holds_only_what_it_changes(env):
    """No value repeats what the profile inherits: conf/base, or its parent profile merged."""
    from posebh.hooks import profile_chain

    chain = profile_chain(ROOT / "conf", env)
    base = profile_params(chain[-2]) if len(chain) > 1 else _tree("base")

    def at(doc, path):
        for k in path:
            if not isinstance(doc, dict) or k not in doc:
                return KeyError
            doc = doc[k]
        return doc

    repeated = [".".join(map(str, p)) for p, v in _leaves(_tree(env)) if at(base, p) == v]
    assert repeated == []


def test_a_partial_block_keeps_the_base_values():
    """conf/test sets three method keys; the rest comes from conf/base (not dataclass defaults)."""
    base, test = profile_params("base"), profile_params("test")
    assert test["method"]["embed_dim"] == 8
    assert test["method"]["momentum"] == base["method"]["momentum"] == 0.95
    assert profile_params("paper")["finetune"]["steps_per_epoch"] is None  # set back to full epochs


@pytest.mark.parametrize("env", PROFILES)
def test_every_params_file_dvc_tracks_exists_in_every_profile(env):
    """`conf/${profile}/parameters_X.yml` in dvc.yaml: DVC stops on a missing one (conf/paper had no
    parameters_seeds.yml, so `profile: paper` failed at the seeds stage)."""
    import re

    tracked = set(re.findall(r"conf/\$\{profile\}/(parameters_\w+\.yml)", (ROOT / "dvc.yaml").read_text()))
    assert tracked and sorted(f for f in tracked if not (ROOT / "conf" / env / f).is_file()) == []


def test_paper_smoke_inherits_conf_paper_and_shrinks_only_sizes():
    paper, smoke = profile_params("paper"), profile_params("paper_smoke")
    assert smoke["data"]["source"] == "real" and smoke["data"]["real"]["miniature"] is True
    assert smoke["data"]["image_root"] == paper["data"]["image_root"] == "data/01_raw"  # relative
    assert smoke["data"]["real"]["files"] == paper["data"]["real"]["files"]
    assert smoke["train"]["heads_on_full_batch"] is True and smoke["evaluation"]["dark"] is None
    assert smoke["train"]["optim"]["layer_decay"] == paper["train"]["optim"]["layer_decay"] == 0.75
    assert smoke["model"]["drop_path_rate"] == 0.3 and smoke["model"]["embed_dim"] == 32
    assert smoke["model"]["datasets"] == paper["model"]["datasets"]  # every expert and head
    assert smoke["transfer"]["per_target"]["interhand2d"]["optim"]["lr"] == 5.0e-4  # from conf/paper


def test_a_profile_parent_must_name_a_folder_without_a_cycle(tmp_path):
    from posebh.hooks import profile_chain

    for env, parent in (("a", "b"), ("b", "a"), ("c", "nowhere")):
        (tmp_path / env).mkdir()
        (tmp_path / env / "parent.yml").write_text(f"parent: {parent}\n")
    with pytest.raises(ValueError, match="without a cycle"):
        profile_chain(tmp_path, "a")
    with pytest.raises(ValueError, match="c/parent.yml"):
        profile_chain(tmp_path, "c")
    (tmp_path / "d").mkdir()
    assert profile_chain(tmp_path, "d") == ["d"]


def test_a_runtime_override_of_one_key_keeps_the_rest_of_the_block():
    from kedro.config import OmegaConfigLoader

    from posebh.settings import CONFIG_LOADER_ARGS

    args = {k: v for k, v in CONFIG_LOADER_ARGS.items() if k != "default_run_env"}
    params = OmegaConfigLoader(str(ROOT / "conf"), env="test", **args,
                               runtime_params={"evaluation": {"engine": "pycocotools"}})["parameters"]
    assert params["evaluation"]["engine"] == "pycocotools"
    assert params["evaluation"]["flip_test"] is True and params["evaluation"]["batch_size"] == 64


def test_the_defining_file_is_the_profile_file_else_base(tmp_path):
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    (conf / "test").mkdir()
    (conf / "base" / "parameters_train.yml").write_text("train: {epochs: 3, seed: 0}\n")
    (conf / "test" / "parameters_train.yml").write_text("train: {epochs: 0}\n")
    assert defining_file(conf, "test", "train.epochs") == "conf/test/parameters_train.yml"
    assert defining_file(conf, "test", "train.seed") == "conf/base/parameters_train.yml"
    assert defining_file(conf, "test", "train.optim.lr") == "conf/test/parameters_train.yml"
    (conf / "smoke").mkdir()
    (conf / "smoke" / "parent.yml").write_text("parent: test\n")
    (conf / "smoke" / "parameters_train.yml").write_text("train: {batch_size: 2}\n")
    assert defining_file(conf, "smoke", "train.batch_size") == "conf/smoke/parameters_train.yml"
    assert defining_file(conf, "smoke", "train.epochs") == "conf/test/parameters_train.yml"


def _kedro(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1",
               PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    return subprocess.run(["kedro", "run", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize(("params", "message"), [
    ("train.epochs=0", "Error: --params: train.epochs: Input should be greater than or equal to 1 (got 0)"),
    ("method.alpha=fast", "Error: --params: method.alpha: Input should be a valid number"),
])
def test_a_bad_parameter_stops_kedro_run_before_any_node(params, message):
    """The old code trained and overwrote the checkpoint (epochs: 0) or crashed mid-run."""
    proc = _kedro("--env=test", "--pipelines=download", "--params", params)
    assert proc.returncode == 2
    errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(message)
    assert "Running node" not in proc.stdout + proc.stderr


def test_a_fit_node_removes_its_own_and_its_evaluations_old_outputs():
    assert stale_outputs("proto.finetune", "proto", ["proto.checkpoint", "proto.history"]) == [
        "proto.checkpoint", "proto.history", "proto.metrics", "proto.predictions",
        "proto.prototypes"]
    assert stale_outputs("baseline.evaluate", "baseline", ["baseline.metrics"]) == ["baseline.metrics"]
    assert stale_outputs("render_coco", None, ["coco_train", "coco_val"]) == ["coco_train", "coco_val"]


def test_stale_outputs_are_deleted_through_the_catalog(tmp_path):
    from kedro.io import DataCatalog
    from kedro.pipeline import Node, Pipeline

    from posebh.hooks import RemoveStaleOutputs
    from posebh.pipelines.atomic_datasets import JSONFile

    files = {n: tmp_path / f"{n}.json" for n in ("v.checkpoint", "v.history", "v.metrics",
                                                 "v.predictions", "other.metrics")}
    for f in files.values():
        f.write_text("{}")
    catalog = DataCatalog({n: JSONFile(str(f)) for n, f in files.items()})
    (node,) = Pipeline([Node(lambda: (1, 2), inputs=None, outputs=["checkpoint", "history"],
                             name="train")], namespace="v").nodes
    assert node.name == "v.train" and node.outputs == ["v.checkpoint", "v.history"]
    RemoveStaleOutputs().before_node_run(node, catalog)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["other.metrics.json"]


def test_stage_clock_records_seconds_and_peak_memory_per_stage(tmp_path):
    import json

    from posebh.hooks import StageClock

    clock = StageClock()
    params = {"project_path": str(tmp_path), "pipeline_names": ["train"], "namespaces": ["baseline"],
              "env": "base"}
    clock.before_pipeline_run(params)
    clock.after_pipeline_run(params)
    record = json.loads((tmp_path / "reports/bench/stages/train@baseline.json").read_text())
    assert record["stage"] == "train@baseline" and record["env"] == "base"
    assert 0 <= record["seconds"] < 60 and record["peak_rss_mb"] > 10
