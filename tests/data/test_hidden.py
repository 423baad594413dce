"""Hidden ground truth: replaying the renderer reproduces the published val splits exactly, and
every other skeleton of the domain is a valid COCO GT over the same images."""

from __future__ import annotations

import json

import numpy as np

from posebh.data import bodies, hidden, splits, synthetic
from posebh.data.coco_validate import validate_coco

CANVAS = (160, 160)
HUMAN = ("coco", "aic", "mpii", "coco_wholebody")


def _same(a: dict, b: dict) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_domain_targets_are_the_sources_of_the_figure_domain():
    assert hidden.domain_targets("mpii") == HUMAN
    assert hidden.domain_targets("apt36k") == ("ap10k", "apt36k")
    assert set(hidden.domain_targets("coco")) <= set(bodies.DOMAIN_DATASETS["human"])


def test_target_equal_to_source_reproduces_the_published_split(tmp_path):
    for source in ("coco_wholebody", "mpii", "ap10k"):
        published = synthetic.render_split(source, 4, seed=1, image_dir=tmp_path / source,
                                           canvas=CANVAS)
        published["info"]["image_root"] = "root/x"
        truth = hidden.hidden_split(source, 4, 1, CANVAS, "root/x")
        assert _same(truth[source], published), source


def test_apt36k_replay_goes_through_the_same_split(tmp_path):
    raw = synthetic.render_videos("apt36k", 40, 2, seed=0, image_dir=tmp_path, canvas=CANVAS)
    published = splits.split_apt36k(raw, rule="official", seed=0)["val"]
    published["info"]["image_root"] = "root/apt"
    truth = hidden.hidden_videos("apt36k", 40, 2, 0, CANVAS, "official", "root/apt")
    assert set(truth) == {"ap10k", "apt36k"}
    assert _same(truth["apt36k"], published)
    other = truth["ap10k"]
    assert [i["id"] for i in other["images"]] == [i["id"] for i in published["images"]]
    assert [a["bbox"] for a in other["annotations"]] == [a["bbox"] for a in published["annotations"]]


def test_other_skeletons_are_valid_gt_over_the_same_images():
    truth = hidden.hidden_split("coco", 5, 1, CANVAS, "root/coco")
    assert set(truth) == set(HUMAN)
    ref = truth["coco"]
    for target, coco in truth.items():
        validate_coco(coco, f"hidden/coco/{target}", target)
        assert coco["images"] == ref["images"] and coco["info"] == ref["info"]
        assert [a["bbox"] for a in coco["annotations"]] == [a["bbox"] for a in ref["annotations"]]
    # WholeBody carries its 133 points in five fields; its body field has COCO's 17
    assert len(truth["coco_wholebody"]["annotations"][0]["face_kpts"]) == 68 * 3
    wb = np.asarray(truth["coco_wholebody"]["annotations"][0]["keypoints"]).reshape(-1, 3)
    cc = np.asarray(ref["annotations"][0]["keypoints"]).reshape(-1, 3)
    assert wb.shape == cc.shape == (17, 3)
    assert not _same(truth["aic"], truth["mpii"])
