"""The report's pipeline map: dvc.yaml's stages, foreach expanded, arrows from file dependencies."""

import pytest
import yaml
from support import ROOT

from posebh.reporting import pipeline_map

STAGES = {
    "data": {"cmd": "x", "deps": ["src/a.py"], "outs": ["data/02"]},
    "train": {"foreach": "${variants}", "do": {"cmd": "x", "deps": ["data/02/digest.json"],
                                              "outs": ["data/06/${key}.pt"],
                                              "metrics": [{"reports/metrics/${key}.json": {"cache": False}}]}},
    "report": {"cmd": "x", "deps": ["reports/metrics", "data/06/b.pt"], "outs": ["reports/index.html"]},
}


def test_foreach_expands_and_edges_follow_files_both_ways():
    stages = pipeline_map.expand_stages(STAGES, {"variants": ["a", "b"]})
    assert [s[0] for s in stages] == ["data", "train@a", "train@b", "report"]
    assert stages[1] == ("train@a", ("data/02/digest.json",), ("data/06/a.pt", "reports/metrics/a.json"))
    links = pipeline_map.edges(stages)
    # a dep inside an out folder, an out inside a dep folder, and an exact path all count
    assert links == [("data", "train@a"), ("data", "train@b"), ("train@a", "report"),
                     ("train@b", "report")]
    assert pipeline_map.layers(stages, links) == {"data": 0, "train@a": 1, "train@b": 1, "report": 2}


def test_an_unknown_foreach_list_is_one_clear_error():
    with pytest.raises(ValueError, match=r"stage 'train' iterates over unknown list \$\{variants\}"):
        pipeline_map.expand_stages(STAGES, {})


def test_the_projects_dvc_yaml_draws_every_stage_from_download_to_report():
    import matplotlib.pyplot as plt

    from posebh.pipelines import matrix

    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    m = matrix()
    lists = {"variants": [n for n, v in m.variants.items() if v.kind == "scratch"],
             "finetunes": [n for n, v in m.variants.items() if v.kind == "finetune"]}
    expanded = pipeline_map.expand_stages(stages, lists)
    depth = pipeline_map.layers(expanded, pipeline_map.edges(expanded))
    assert depth["download"] == 0 and depth["data"] == 1 and depth["train@baseline"] == 2
    assert depth["finetune@posebh"] == 3 and depth["report"] == max(depth.values())
    plt.close(pipeline_map.figure(expanded, pipeline_map.edges(expanded)))


def test_reduction_drops_only_the_implied_arrows():
    links = [("a", "b"), ("b", "c"), ("a", "c"), ("a", "d")]
    assert pipeline_map.reduced(links) == [("a", "b"), ("b", "c"), ("a", "d")]
