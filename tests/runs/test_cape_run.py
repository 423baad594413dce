"""runs.cape and the ``cape`` node: the synthetic set, or a real MP-100 folder (present or not)."""

from __future__ import annotations

import json
import shutil

import pytest
from support import profile_params

from posebh.configs import ConfigError
from posebh.data.cape_set import write_cape_set
from posebh.pipelines.cape.nodes import cape_set as cape_node
from posebh.runs.cape import NOT_PROVIDED, CapeConfig, cape_set, mp100_summary


def test_profiles_resolve_the_cape_block():
    base, test = CapeConfig.from_dict(profile_params("base")["cape"]), profile_params("test")["cape"]
    assert base.mp100_root is None and base.images_per_category == 40
    assert CapeConfig.from_dict(test).images_per_category == 20  # 5 shots + 15 queries
    for env in ("paper", "paper_smoke"):
        assert CapeConfig.from_dict(profile_params(env)["cape"]).mp100_root == "data/01_raw/mp100"
    with pytest.raises(ConfigError, match=r"^cape\.images_per_category: "):
        CapeConfig.from_dict({"images_per_category": 0})
    with pytest.raises(ConfigError, match=r"^cape\.shots: unknown parameter"):
        CapeConfig.from_dict({"shots": 1})


def test_the_node_writes_the_synthetic_set(tmp_path):
    params = {**profile_params("test")["cape"], "root": str(tmp_path / "set"),
              "images_per_category": 2, "canvas": [64, 64]}
    summary = cape_node(params)
    assert summary["source"] == "synthetic" and summary["status"] == "written"
    assert summary["instances"] == 2 * len(summary["categories"])
    assert json.loads((tmp_path / "set" / "source.json").read_text())["source"] == "synthetic"
    assert len(list((tmp_path / "set" / "annotations").glob("mp100_split*_*.json"))) == 15


def test_real_mp100_absent_is_not_provided_and_renders_nothing(tmp_path):
    cfg = CapeConfig(root=str(tmp_path / "set"), mp100_root=str(tmp_path / "mp100"))
    summary = cape_set(cfg)
    assert summary["status"] == NOT_PROVIDED and len(summary["missing"]) == 15
    assert [p.name for p in (tmp_path / "set").iterdir()] == ["source.json"]
    marker = json.loads((tmp_path / "set" / "source.json").read_text())
    assert marker == {"source": "mp100", "status": NOT_PROVIDED,
                      "annotations": str(tmp_path / "mp100" / "annotations"),
                      "images": str(tmp_path / "mp100" / "images")}


def test_real_mp100_present_is_read_and_checked(tmp_path):
    synthetic = write_cape_set(tmp_path / "fake", 1, canvas=(48, 48))  # MP-100-format files
    shutil.copytree(tmp_path / "fake" / "annotations", tmp_path / "mp100" / "annotations")
    summary = mp100_summary(tmp_path / "mp100")
    assert summary["status"] == "provided" and summary["splits"] == synthetic["splits"]
    assert summary["instances"] == len(summary["categories"]) == len(synthetic["categories"])
    ann = tmp_path / "mp100" / "annotations"
    shutil.copy(ann / "mp100_split2_test.json", ann / "mp100_split1_test.json")  # tested twice
    with pytest.raises(ValueError, match=r"break the rule: .*is a test category in splits"):
        mp100_summary(tmp_path / "mp100")
