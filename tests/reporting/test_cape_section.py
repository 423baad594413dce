"""The CAPE evidence section: results beside POMNet's Table 1, paired differences in words, and
the 'not run' rendering without MP-100-format data."""

from __future__ import annotations

import pytest
from reportkit import PROV, make_inputs

from posebh.reporting import cape_section, report


def matcher(mean: float, std: float, episodes: int = 100) -> dict:
    return {"mean": mean, "episode_std": std, "episodes": episodes,
            "per_split": {"split1": mean - 1.0, "split2": mean + 1.0},
            "per_split_std": {"split1": std, "split2": std},
            "per_category": {"split1": {"bird": mean - 1.0}, "split2": {"bug": mean + 1.0}},
            "micro_mean": mean}


def diff(a: str, b: str, shots: int, d: float, lo: float, hi: float) -> dict:
    return {"matcher": a, "control": b, "shots": shots, "diff": d, "low": lo, "high": hi,
            "episodes": 100, "resamples": 1000, "level": 0.95, "excludes_zero": lo > 0 or hi < 0}


METRICS = {
    "protocol": {"shots": [1, 5], "num_queries": 15, "num_episodes": 100, "finetune_episodes": 20,
                 "threshold": 0.2, "seed": 0, "part": "test", "splits": ["split1", "split2"],
                 "unit": "percent"},
    "matchers": {"posebh/embedding": {"1-shot": matcher(61.0, 3.0), "5-shot": matcher(70.0, 2.0)},
                 "baseline/head": {"1-shot": matcher(55.0, 3.5), "5-shot": matcher(69.5, 2.5)},
                 "baseline/finetune": {"1-shot": matcher(40.0, 4.0, 20),
                                       "5-shot": matcher(50.0, 4.0, 20)}},
    "differences": [diff("posebh/embedding", "baseline/head", 1, 6.0, 4.2, 7.9),
                    diff("posebh/embedding", "baseline/head", 5, 0.5, -0.8, 1.7)],
    "experts": {"split1": {"bird": "ap10k"}, "split2": {"bug": "ap10k"}},
    "instances": {"split1": {"bird": 40}, "split2": {"bug": 40}},
}


def test_summary_lists_this_run_then_pomnet_table1():
    s = cape_section.summary_table(METRICS, "base")
    ours = s[s["source"] == "this run (base)"]
    assert ours["shots"].tolist() == [5, 5, 5, 1, 1, 1]  # 5-shot first, as POMNet's table
    lit = s[s["source"] == cape_section.LITERATURE_SOURCE].set_index(["shots", "matcher"])
    assert len(lit) == 8
    assert lit.loc[(5, "POMNet"), "mean"] == 80.71 and lit.loc[(1, "ProtoNet"), "split3"] == 49.13
    assert lit.loc[(1, "Fine-tune"), "split5"] == 59.20
    row = ours.set_index("matcher").loc["baseline/finetune"].iloc[0]
    assert (row["mean"], row["episodes"], row["split1"]) == (50.0, 20, 49.0)


def test_differences_in_words():
    d = cape_section.differences_table(METRICS)
    assert d["verdict"].tolist() == ["the interval excludes 0: posebh/embedding is higher",
                                     "the interval includes 0: no detectable difference"]
    lower = cape_section.verdict(diff("a", "b", 1, -2.0, -3.0, -1.0))
    assert lower == "the interval excludes 0: a is lower"


def test_section_tables_captions_and_how(tmp_path):
    sec = cape_section.section(make_inputs(tmp_path, cape=METRICS))
    assert sec.title == "Unseen skeletons (CAPE)" and sec.how
    assert set(sec.tables) == {"cape", "cape_summary", "cape_differences"}
    assert all("<caption>" in str(b) for b in sec.blocks) and len(sec.blocks) == 2
    page = "".join(str(b) for b in sec.blocks)
    assert "61.0 ± 3.0" in page and "80.7" in page and "literature, MP-100" in page
    assert any("[+4.2, +7.9]" in n and "excludes 0" in n for n in sec.notes)
    assert sec.tables["cape"].shape[0] == 3 * 2 * 2  # matchers x shots x categories
    assert any("unit profile" in n for n in sec.notes)  # which profile produced the numbers


def test_not_run_without_metrics_still_shows_the_literature(tmp_path):
    sec = cape_section.section(make_inputs(tmp_path))
    assert sec.notes[0].startswith("Not run") and len(sec.blocks) == 1
    assert set(sec.tables["cape_summary"]["source"]) == {cape_section.LITERATURE_SOURCE}


@pytest.mark.parametrize("cape", [{}, METRICS])
def test_page_carries_the_section(tmp_path, cape):
    out = report.build(make_inputs(tmp_path, cape=cape), PROV)
    assert 'id="cape"' in out.html and "Unseen skeletons (CAPE)" in out.html
    assert "cape_summary" in out.evidence_tables
