"""Per-dataset deployment: expert rows merged into fc2, one head, PoseBH modules dropped."""

from __future__ import annotations

import pytest
import tiny
import torch

from posebh.evaluation.flops import gflops
from posebh.method.config import MethodConfig
from posebh.method.posebh_model import PoseBHModel
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.zoo.checkpoint import from_checkpoint, to_checkpoint
from posebh.zoo.deploy import deploy, deploy_all

TINY = {**tiny.TINY, "img_size": (64, 48), "depth": 2, "datasets": ("coco", "aic", "mpii")}


def _randomised(model: MultiHeadPose) -> MultiHeadPose:
    """Non-trivial weights and BN statistics (heads are initialised near zero)."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                noise = torch.randn(t.shape, generator=g)
                t.copy_(0.5 + torch.rand(t.shape, generator=g) if name.endswith("running_var")
                        else 0.2 * noise)
    return model.eval()


@pytest.mark.parametrize("posebh", [False, True])
@pytest.mark.parametrize("label_space", ["per_dataset", "merged"])
def test_deployed_model_equals_head_d_of_the_multihead_model(posebh: bool, label_space: str):
    cfg = ModelConfig(**TINY, label_space=label_space)
    torch.manual_seed(0)
    model = _randomised(PoseBHModel(cfg, MethodConfig(embed_dim=8, num_clusters=4)) if posebh
                        else MultiHeadPose(cfg))
    ckpt = to_checkpoint(model)
    x = torch.randn(2, 3, 64, 48, generator=torch.Generator().manual_seed(1))
    for d, name in enumerate(cfg.datasets):
        plain_ckpt = deploy(ckpt, name)
        assert "method_cfg" not in plain_ckpt
        assert not any(k.startswith(("embed.", "bank.", "clusters", "cluster_owner", "heads._merged"))
                       for k in plain_ckpt["state_dict"])
        assert not any(".experts." in k for k in plain_ckpt["state_dict"])
        plain = from_checkpoint(plain_ckpt).eval()  # strict load
        assert type(plain) is MultiHeadPose and list(plain.heads) == [name]
        assert plain.cfg.part_features == 0 and plain.cfg.datasets == (name,)
        with torch.no_grad():
            want = model(x, torch.full((2,), d))[name]
            got = plain(x, torch.zeros(2, dtype=torch.long))[name]
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_fc2_is_shared_rows_then_expert_rows():
    model = _randomised(MultiHeadPose(ModelConfig(**TINY)))
    sd = deploy(to_checkpoint(model), "mpii")["state_dict"]
    w = sd["backbone.vit.blocks.1.mlp.fc2.weight"]  # (C, hidden)
    src = model.state_dict()
    assert torch.equal(w[:12], src["backbone.vit.blocks.1.mlp.fc2.weight"])
    assert torch.equal(w[12:], src["backbone.vit.blocks.1.mlp.experts.2.weight"])


def test_deployed_posebh_and_baseline_have_identical_flops():
    cfg = ModelConfig(**TINY)
    base = deploy_all(to_checkpoint(MultiHeadPose(cfg)))
    ours = deploy_all(to_checkpoint(PoseBHModel(cfg, MethodConfig(embed_dim=8, num_clusters=4))))
    assert list(base) == list(ours) == list(cfg.datasets)
    for name in cfg.datasets:
        assert base[name]["model_cfg"] == ours[name]["model_cfg"]
        g_base = gflops(from_checkpoint(base[name]), (64, 48), head=name)
        g_ours = gflops(from_checkpoint(ours[name]), (64, 48), head=name)
        assert g_ours == g_base > 0
    # merging the expert into fc2 keeps the MACs of the multi-head model's head-d path
    full = MultiHeadPose(cfg)
    assert gflops(from_checkpoint(base["aic"]), (64, 48), head="aic") == pytest.approx(
        gflops(full, (64, 48), dataset_idx=1, head="aic"), rel=1e-9)


def test_unknown_dataset_is_an_error():
    with pytest.raises(ValueError, match="ap10k"):
        deploy(to_checkpoint(MultiHeadPose(ModelConfig(**TINY))), "ap10k")
