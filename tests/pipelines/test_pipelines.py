"""The Kedro pipelines are registered as users run them, built from the experiment matrix."""


import pytest
from support import ROOT

from posebh.experiments import load_matrix, merged

MATRIX = ROOT / "pipelines" / "experiments.yaml"


@pytest.fixture
def pipelines(kedro_pipelines):
    return kedro_pipelines


def test_every_pipeline_name_is_a_folder(pipelines):
    assert {"data", "train", "transfer", "ablation", "report"} <= set(pipelines)


def test_train_and_finetune_have_one_namespace_per_variant(pipelines):
    variants = load_matrix(MATRIX).variants
    for kind, name in (("scratch", "train"), ("finetune", "finetune")):
        namespaces = {n.namespace for n in pipelines[name].nodes}
        assert namespaces == {v for v, spec in variants.items() if spec.kind == kind}


def test_ablation_composes_the_variants_the_matrix_names(pipelines):
    named = set(load_matrix(MATRIX).ablation.variants)
    assert {n.namespace for n in pipelines["ablation"].nodes} == named | {None}  # + the seeds node
    # the same Node objects as in `train`/`finetune`/`seeds`, so `__default__` has no duplicates
    assert set(pipelines["ablation"].nodes) <= set(pipelines["train"].nodes) | set(
        pipelines["finetune"].nodes) | set(pipelines["seeds"].nodes)


def test_matrix_errors_name_the_file(tmp_path):
    bad = tmp_path / "experiments.yaml"
    bad.write_text("variants:\n  bad-name: {}\n")
    with pytest.raises(ValueError, match="experiments.yaml: variant name 'bad-name'"):
        load_matrix(bad)
    bad.write_text("nothing: here\n")
    with pytest.raises(ValueError, match="cannot read the experiment matrix"):
        load_matrix(bad)


def test_merged_is_deep_and_does_not_mutate():
    base = {"model": {"a": 1, "b": {"c": 2}}, "x": 1}
    out = merged(base, {"model": {"b": {"c": 3}}})
    assert out == {"model": {"a": 1, "b": {"c": 3}}, "x": 1}
    assert base["model"]["b"]["c"] == 2
