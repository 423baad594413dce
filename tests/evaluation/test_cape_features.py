"""Frozen CAPE feature maps of a tiny model: shapes per kind, the crop geometry, the expert."""

import numpy as np
import pytest
import torch
from cape_fixture import write_mp100
from tiny import TINY_64

from posebh.data.topdown import box_to_center_scale, get_affine_matrix
from posebh.evaluation.cape_features import (
    category_domains,
    expert_source,
    extract_features,
    head_features,
)
from posebh.evaluation.cape_mp100 import mp100_file, read_mp100
from posebh.zoo.checkpoint import build_model

DATASETS = ("coco", "ap10k", "coco_wholebody")
MODEL = {**TINY_64, "depth": 1, "datasets": DATASETS}
METHOD = {"embed_dim": 8, "num_clusters": 6}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = write_mp100(tmp_path_factory.mktemp("mp100"))
    path = mp100_file(root / "annotations", 1, "test")
    return root, read_mp100(path), category_domains(path)


@pytest.fixture(scope="module")
def posebh():
    torch.manual_seed(0)
    return build_model(MODEL, METHOD)


def test_each_kind_at_heatmap_size(data, posebh):
    root, cats, _ = data
    inst = cats["tern_body"]
    feats = extract_features(posebh, inst, root / "images", "ap10k",
                             ["embedding", "head", "backbone"], batch_size=3)
    n = len(inst)
    assert feats["embedding"].maps.shape == (n, 8, 16, 12)
    assert feats["head"].maps.shape == (n, 16, 16, 12)
    assert feats["backbone"].maps.shape == (n, 32, 16, 12)
    assert (feats["embedding"].maps.norm(dim=1) <= 1 + 1e-4).all()  # net.embed: L2-normalised
    net_head = head_features(posebh, "ap10k", posebh.backbone(torch.zeros(1, 3, 64, 48),
                                                               torch.tensor([1])))
    assert net_head.shape == (1, 16, 16, 12)
    # heat-map geometry: the box centre lands on the heat-map centre (plain AP-10K crops)
    for f in feats.values():
        c, _ = box_to_center_scale(inst[0].box, 48 / 64, 1.25)
        assert np.allclose(f.to_heatmap[0] @ [*c, 1.0], [6.0, 8.0])
        back = f.to_image(f.keypoints_on_map(np.stack([i.keypoints for i in inst])),
                          np.arange(n))
        assert np.allclose(back, np.stack([i.keypoints[:, :2] for i in inst]))


def test_coco_expert_uses_udp_geometry_and_its_own_expert(data, posebh):
    root, cats, _ = data
    inst = cats["tern_body"][:2]
    coco = extract_features(posebh, inst, root / "images", "coco", ["backbone"])["backbone"]
    ap10k = extract_features(posebh, inst, root / "images", "ap10k", ["backbone"])["backbone"]
    c, s = box_to_center_scale(inst[0].box, 48 / 64, 1.25)
    assert np.allclose(coco.to_heatmap[0], get_affine_matrix(c, s, 0.0, (12, 16), udp=True))
    assert not torch.allclose(coco.maps, ap10k.maps)  # routed through another FFN expert


def test_batching_does_not_change_the_maps(data, posebh):
    root, cats, _ = data
    inst = cats["upper_hand"]
    a = extract_features(posebh, inst, root / "images", "coco_wholebody", ["head"], batch_size=2)
    b = extract_features(posebh, inst, root / "images", "coco_wholebody", ["head"], batch_size=8)
    assert torch.allclose(a["head"].maps, b["head"].maps, atol=1e-5)


def test_domains_pick_experts_and_bad_requests_are_named(data, posebh):
    root, cats, domains = data
    assert domains == {"tern_body": "animal", "upper_hand": "hand"}
    assert [expert_source(domains[c]) for c in cats] == ["ap10k", "coco_wholebody"]
    assert expert_source("vehicle", default="coco") == "coco"
    with pytest.raises(ValueError, match="no expert for domain 'vehicle'"):
        expert_source("vehicle")
    baseline = build_model(MODEL)
    with pytest.raises(ValueError, match="needs a PoseBH checkpoint"):
        extract_features(baseline, cats["tern_body"], root / "images", "ap10k", ["embedding"])
    with pytest.raises(ValueError, match="'aic' is not one of the model's datasets"):
        extract_features(baseline, cats["tern_body"], root / "images", "aic", ["head"])
