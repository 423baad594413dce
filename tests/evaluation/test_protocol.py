"""The protocol line of a number follows the parameters and skeleton table, never a constant."""

from __future__ import annotations

import numpy as np
import pytest

from posebh import skeletons
from posebh.evaluation.decode import decode
from posebh.evaluation.protocol import (
    DETECTOR_BOXES,
    UNKNOWN,
    decoding,
    describe,
    protocols,
    sigmas_source,
    split_of,
    with_profile,
)

BASE = {"flip_test": True, "dark": True, "engine": "hotcoco"}  # conf/base/parameters_evaluation.yml
PAPER = {**BASE, "dark": None}  # conf/paper: the released configs' decoding


def test_every_field_is_read_from_the_evaluation_block():
    coco = describe("coco", PAPER)
    assert (coco.split, coco.boxes, coco.flip_test, coco.decoding) == (
        "val split", "GT boxes", "on", "DARK-UDP")
    assert coco.evaluator == "hotcoco (xtcocotools' stats) OKS AP, use_area=True"
    assert coco.sigmas == "coco (17) of src/posebh/skeletons.json"
    assert describe("coco", {**PAPER, "flip_test": False}).flip_test == "off"
    assert describe("coco", {**PAPER, "engine": "pycocotools"}).evaluator.startswith("pycocotools")
    assert describe("aic", PAPER).decoding == "argmax + 0.25 px"  # not UDP: mmpose default
    assert describe("aic", BASE).decoding == "DARK"
    assert describe("coco", PAPER, DETECTOR_BOXES).boxes == DETECTOR_BOXES


def test_the_evaluator_follows_the_skeleton_table():
    assert describe("aic", BASE).evaluator == "xtcocotools OKS AP, use_area=False"  # hotcoco not exact
    assert describe("mpii", BASE).evaluator.startswith("MPII PCKh@0.5")
    assert describe("coco_wholebody", BASE).evaluator.startswith("xtcocotools COCOeval per part")
    hand = describe("interhand2d", BASE)
    assert hand.evaluator.startswith("PCK@0.2") and hand.sigmas == "none (PCK)"
    assert describe("pw3d", BASE).sigmas == f"pw3d ({len(skeletons.get('pw3d').sigmas)}) of src/posebh/skeletons.json"


def test_a_missing_parameter_reads_not_recorded():
    p = describe("coco", {})
    assert p.flip_test == UNKNOWN and UNKNOWN in p.decoding and UNKNOWN in p.evaluator


@pytest.mark.parametrize("udp, dark", [(True, None), (True, True), (True, False), (False, None),
                                       (False, True), (False, False)])
def test_the_decoding_name_matches_what_decode_runs(udp, dark):
    """Equal names <=> equal decoders on a random heatmap (the table is the code's, not a copy)."""
    hm = np.random.default_rng(0).random((1, 2, 16, 12)).astype(np.float32)
    runs = {(u, d): decode(hm, udp=u, dark=d)[0] for u in (True, False) for d in (None, True, False)}
    for (u, d), coords in runs.items():
        if u == udp:
            same = np.allclose(coords, runs[(udp, dark)])
            assert same == (decoding(u, d) == decoding(udp, dark)), (u, d)


def test_keys_splits_and_profiles():
    assert split_of("ochuman_test") == ("ochuman", "test") and split_of("coco") == ("coco", "val")
    och = describe("ochuman_test", BASE)
    assert och.split == "test split" and och.sigmas.startswith("coco (17)")  # COCO head, COCO sigmas
    lines = protocols(["coco", "not_a_dataset"], BASE, {"coco": DETECTOR_BOXES})
    assert set(lines) == {"coco"} and DETECTOR_BOXES in lines["coco"]
    assert with_profile(lines["coco"], "paper").startswith("paper profile; val split; ")
    assert with_profile("", "paper") == ""
    assert "mmpose" in sigmas_source()
