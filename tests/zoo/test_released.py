"""The released weights as rows: the table of files, the ``released`` node end to end on tiny
official-format files, one-line refusals before any evaluation, "not provided" for absent files."""

from __future__ import annotations

import json
import logging
import re

import pytest
import torch
from zoo.test_official_weights import IMG, NH, C, official_state

from posebh import skeletons
from posebh.data.errors import DataError
from posebh.pipelines.atomic_datasets import MetricsFile
from posebh.pipelines.released import nodes
from posebh.runs import evaluate
from posebh.runs import released as released_run
from posebh.runs.config import EvalConfig, SampleConfig
from posebh.runs.evaluate import evaluate_variant
from posebh.zoo.official import HEADS_BY_DIM, load_official
from posebh.zoo.released import MANIFEST, NOT_PROVIDED, ReleasedModel, load_manifest, read_released

EVAL = {"device": "cpu", "flip_test": True, "dark": None, "batch_size": 8, "engine": "xtcocotools"}
DATA = {"sigma": 2.0, "seed": 0}
TINY = ReleasedModel(file="vitpose+_tiny.pth", family="vitpose++", backbone="ViT-tiny",
                     embed_dim=C, num_heads=NH, img_size=IMG, source="https://example.org/zoo",
                     get="https://example.org/zoo/tiny")


@pytest.fixture(scope="module")
def val_sets(tmp_path_factory) -> dict[str, dict]:
    """Two rendered val images per source; COCO val carries its GT boxes as person detections."""
    from posebh.data.synthetic import render_split

    root = tmp_path_factory.mktemp("val")
    out = {}
    for d in skeletons.SOURCES:
        coco = render_split(d, 2, seed=0, image_dir=root / d, canvas=(64, 64))
        coco["info"]["image_root"] = str(root / d)
        out[d] = coco
    out["coco"]["detections"] = [{"image_id": a["image_id"], "category_id": 1, "bbox": a["bbox"],
                                  "score": 0.9} for a in out["coco"]["annotations"]]
    return out


def _write(path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "meta": {"epoch": 1}}, path)


def test_the_table_lists_every_released_file_with_its_page():
    table = load_manifest()
    assert set(table) == {"vitpose+_small", "vitpose+_base", "vitpose+_large", "vitpose+_huge",
                          "posebh_base", "posebh_huge"}
    assert len({m.file for m in table.values()}) == len(table)
    for name, m in table.items():
        assert m.source.startswith("https://github.com/") and m.get.startswith("https://"), name
        assert m.size is None or m.size > 0  # null = size unknown, never a guess
        assert HEADS_BY_DIM.get(m.embed_dim, m.num_heads) == m.num_heads, name
        assert (m.family == "posebh") == name.startswith("posebh"), name


def test_a_bad_table_entry_is_one_line_naming_the_file(tmp_path):
    bad = tmp_path / "released.yaml"
    bad.write_text(MANIFEST.read_text().replace("embed_dim: 384", "embed_dim: -1", 1))
    with pytest.raises(DataError, match=r"released\.yaml: .*models\.vitpose\+_small\.embed_dim"):
        load_manifest(bad)


def test_node_evaluates_a_tiny_official_file_as_a_trained_variant(tmp_path, val_sets, monkeypatch):
    monkeypatch.setattr(nodes, "load_manifest", lambda: {"vitpose+_tiny": TINY,
                                                         "posebh_tiny": TINY.__class__(
                                                             **{**TINY.__dict__, "file": "p.pth",
                                                                "family": "posebh"})})
    _write(tmp_path / TINY.file, official_state())
    out = nodes.evaluate_released_weights({"root": str(tmp_path), "models": None}, DATA, EVAL,
                                          **val_sets)
    entry = out["vitpose+_tiny"]
    assert entry["status"] == "evaluated" and entry["source"] == TINY.source
    # the same numbers as the trained variants' evaluation of the same converted weights
    ckpt = load_official(tmp_path / TINY.file, img_size=IMG, num_heads=NH)
    _, expected = evaluate_variant(ckpt, val_sets, SampleConfig(**DATA), EvalConfig(**EVAL))
    assert entry["metrics"] == expected and set(expected) == set(skeletons.SOURCES)
    assert set(entry["detector_metrics"]) == {"coco"}  # only COCO val carries detections
    assert 0.0 <= entry["detector_metrics"]["coco"]["AP"] <= 1.0
    assert "detector boxes" in entry["protocol"]["coco"] and "GT boxes" in entry["protocol"]["aic"]
    assert "flip test on" in entry["protocol"]["mpii"] and "DARK-UDP" in entry["protocol"]["coco"]
    assert out["posebh_tiny"] == {"status": NOT_PROVIDED, "path": str(tmp_path / "p.pth"),
                                  "source": TINY.source}
    # the catalog's MetricsFile: ratios in percent on disk, fractions again when loaded
    ds = MetricsFile(filepath=str(tmp_path / "released.json"))
    ds.save(out)
    disk = json.loads((tmp_path / "released.json").read_text())
    assert disk["vitpose+_tiny"]["metrics"]["coco"]["AP"] == pytest.approx(
        100 * entry["metrics"]["coco"]["AP"])
    assert ds.load()["posebh_tiny"]["status"] == NOT_PROVIDED


def test_no_file_present_is_one_message_per_model_and_no_evaluation(tmp_path, monkeypatch, caplog):
    def never(*args, **kwargs):
        raise AssertionError("evaluated without a file")

    monkeypatch.setattr(evaluate, "evaluate_variant", never)
    with caplog.at_level(logging.WARNING, logger="posebh.runs.released"):
        out = nodes.evaluate_released_weights({"root": str(tmp_path / "weights"), "models": None},
                                              DATA, EVAL, **{d: {} for d in skeletons.SOURCES})
    table = load_manifest()
    assert set(out) == set(table) and all(e["status"] == NOT_PROVIDED for e in out.values())
    assert out["vitpose+_base"]["path"] == str(tmp_path / "weights" / "vitpose+_base.pth")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == len(table)
    assert all("not provided" in line and "\n" not in line for line in lines)


def test_an_unknown_model_name_in_the_params_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"released\.models: \['vitpose_tiny'\]"):
        nodes.evaluate_released_weights({"root": str(tmp_path), "models": ["vitpose_tiny"]}, DATA,
                                        EVAL)


@pytest.mark.parametrize("edit, fragments", [
    (lambda sd: sd.__setitem__("backbone.blocks.0.attn.proj.weight", torch.zeros(C, C - 1)),
     ("'backbone.blocks.0.attn.proj.weight' has shape (16, 15)", "needs (16, 16)")),
    (lambda sd: sd.__setitem__("backbone.blocks.0.attn.rel_pos", torch.zeros(3)),
     ("unexpected key 'backbone.blocks.0.attn.rel_pos'",)),
    (lambda sd: sd.pop("keypoint_head.final_layer.bias"),
     ("no weights for posebh 'heads.coco.final.bias'",)),
])
def test_a_mismatching_file_names_its_first_bad_key_and_shapes(tmp_path, edit, fragments):
    sd = official_state()
    edit(sd)
    _write(tmp_path / TINY.file, sd)
    with pytest.raises(DataError) as err:
        read_released(tmp_path / TINY.file, "vitpose+_tiny", TINY)
    msg = str(err.value)
    assert msg.startswith(f"{tmp_path / TINY.file}: ") and "\n" not in msg
    assert all(f in msg for f in fragments), msg


@pytest.mark.parametrize("state, fragment", [
    ({"backbone.conv1.weight": torch.zeros(64, 3, 3, 3),  # an HRNet / ResNet top-down model
      "keypoint_head.final_layer.weight": torch.zeros(17, 32, 1, 1)},
     "not a ViTPose-family ViT checkpoint"),
    (official_state(c=32), "backbone width 32, but ViT-tiny has 16"),
    (official_state(proto=(sum(skeletons.get(d).num_keypoints for d in skeletons.SOURCES), 3, 8)),
     "holds a PoseBH checkpoint (proto_head.*), but the table says family vitpose++"),
])
def test_another_architecture_is_refused_before_any_evaluation(tmp_path, val_sets, monkeypatch,
                                                               state, fragment):
    def never(*args, **kwargs):
        raise AssertionError("evaluated before every file was checked")

    monkeypatch.setattr(evaluate, "evaluate_variant", never)
    good = TINY.__class__(**{**TINY.__dict__, "file": "a_good.pth"})
    _write(tmp_path / good.file, official_state())  # a good file first: still nothing evaluated
    _write(tmp_path / TINY.file, state)
    with pytest.raises(DataError, match=re.escape(fragment)) as err:
        released_run.evaluate_released({"good": good, "vitpose+_tiny": TINY}, tmp_path, val_sets,
                                       SampleConfig(**DATA), EvalConfig(**EVAL))
    assert str(err.value).startswith(str(tmp_path / TINY.file))


def test_a_suite_checkpoint_in_place_of_a_released_file_is_refused(tmp_path):
    torch.save({"model_cfg": {"datasets": ["coco"]}, "state_dict": {}}, tmp_path / TINY.file)
    with pytest.raises(DataError, match="a posebh-suite checkpoint, not the released vitpose"):
        read_released(tmp_path / TINY.file, "vitpose+_tiny", TINY)
