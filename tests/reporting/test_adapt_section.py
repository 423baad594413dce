"""The "Adaptation recipes" section: one table per target, seed spread, "not run" rows (#16 item 6)."""

from __future__ import annotations

import copy

from reportkit import PROV, make_inputs

from posebh import skeletons
from posebh.reporting import adapt_section, report
from posebh.runs.adapt import SCHEDULED_INIT, AdaptConfig
from posebh.training.freeze import RECIPES


def cell(pck: float, trainable: int, seeds: list[int], std: float | None = None) -> dict:
    """A stored cell (fractions, as MetricsFile loads them)."""
    out = {"PCK@0.2": pck, "AUC@30px": pck / 2, "EPE": 5.0, "AP": pck / 3,
           "trainable_params": trainable, "total_params": 1000,
           "share_trainable": trainable / 1000, "seeds": seeds}
    if std is not None:
        out["std"] = {"PCK@0.2": std, "AUC@30px": std, "EPE": 0.5, "AP": std}
    return out


METRICS = {"interhand2d": {"full": {"baseline": cell(0.9, 1000, [0, 1, 2], 0.012),
                                    "posebh": cell(0.92, 1000, [0, 1, 2], 0.01)},
                           "head": {"baseline": cell(0.5, 60, [0, 1, 2], 0.05)}}}
TIMINGS = {"interhand2d": {"full": {"baseline": {"0": 10.0, "1": 12.0, "2": 14.0}}}}


def test_the_recipe_tables_agree_with_the_library():
    assert list(adapt_section.RECIPES) == list(RECIPES) == list(AdaptConfig().recipes)
    for name, (_, inits) in adapt_section.RECIPES.items():
        want = (SCHEDULED_INIT,) if RECIPES[name].scheduled else AdaptConfig().inits
        assert inits == want, name


def test_one_table_per_target_with_mean_std_and_not_run_rows(tmp_path):
    inputs = make_inputs(tmp_path, adapt=METRICS, adapt_timings=TIMINGS)
    sec = adapt_section.section(inputs)
    assert sec.title == "Adaptation recipes" and sec.how
    assert len(sec.blocks) == len(skeletons.TRANSFER)
    assert all("<caption>" in b and "profile unit" in b for b in sec.blocks)
    hand = adapt_section.target_table(sec.tables["adapt_recipes"], "interhand2d")
    assert len(hand) == 9  # 4 recipes x 2 inits + prototype_first from PoseBH
    full = hand.loc[("full (full fine-tune)", "baseline")]
    assert full["PCK@0.2 (%)"] == "90.0 ± 1.2" and full["EPE (px)"] == "5.0 ± 0.5"
    assert full["trainable %"] == "100.00"
    assert full["seeds"] == "3"
    assert hand.loc[("head (new head, frozen backbone)", "baseline")]["trainable params"] == "60"
    assert hand.loc[("lora (LoRA on attention + new head)", "posebh")]["trainable params"] \
        == adapt_section.NOT_RUN
    smpl = adapt_section.target_table(sec.tables["adapt_recipes"], "pw3d")
    assert set(smpl["trainable params"]) == {adapt_section.NOT_RUN}  # the target did not run
    assert "AP (%)" in smpl and "EPE (px)" not in smpl
    long = sec.tables["adapt_recipes"]
    assert set(long["profile"]) == {"unit"} and len(long) == 3


def test_training_times_are_on_the_page_and_in_timings_json_but_not_in_the_csv(tmp_path):
    inputs = make_inputs(tmp_path, adapt=METRICS, adapt_timings=TIMINGS)
    built = report.build(inputs, PROV)
    assert built.timings["adapt_seconds"] == {"interhand2d": {"full": {"baseline": 12.0}}}
    assert "12.0" not in built.evidence_tables["adapt_recipes"].to_csv()
    assert "timings.json (adapt_seconds)" in built.html and "wall time" not in built.html
    hand = adapt_section.target_table(built.evidence_tables["adapt_recipes"], "interhand2d",
                                      inputs.adapt_timings)
    assert hand.loc[("full (full fine-tune)", "baseline")][adapt_section.SECONDS] == "12.0"
    assert hand.loc[("head (new head, frozen backbone)", "baseline")][adapt_section.SECONDS] == "–"
    assert adapt_section.SECONDS in built.html


def test_one_seed_shows_no_spread(tmp_path):
    one = copy.deepcopy(METRICS)
    one["interhand2d"]["full"]["baseline"] = cell(0.9, 1000, [0])
    sec = adapt_section.section(make_inputs(tmp_path, adapt=one))
    hand = adapt_section.target_table(sec.tables["adapt_recipes"], "interhand2d")
    assert hand.loc[("full (full fine-tune)", "baseline")]["PCK@0.2 (%)"] == "90.0"
    assert "one seed" not in " ".join(map(str, sec.notes))  # other rows had three seeds


def test_the_page_says_not_run_when_the_stage_wrote_nothing(tmp_path):
    built = report.build(make_inputs(tmp_path), PROV)
    assert 'id="adapt"' in built.html and "Adaptation recipes" in built.html
    assert adapt_section.NOT_RUN in built.html and "targets run: none" in built.html
    assert built.evidence_tables["adapt_recipes"].empty
