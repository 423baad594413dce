"""Loading released ViTPose++ / PoseBH checkpoints: key mapping, folds, config, one-line errors.

The official state dicts are built here with the official key names and tiny shapes; the
references below re-implement the official forward passes (ViTMoE, TopdownHeatmapSimpleHead,
KptProtoHead) functionally on those dicts, independently of our modules.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from posebh import skeletons
from posebh.zoo.checkpoint import from_checkpoint
from posebh.zoo.official import OfficialWeightsError, convert_official, load_official

C, DEPTH, HID, PART, NH, CH, IMG = 16, 2, 32, 4, 2, 8, (32, 32)  # tiny ViT, head channels 8
J = sum(skeletons.get(d).num_keypoints for d in skeletons.SOURCES)  # 214


def _bn(sd: dict, prefix: str, n: int, g: torch.Generator, device: str) -> None:
    if device == "meta":
        for p in ("weight", "bias", "running_mean", "running_var"):
            sd[f"{prefix}.{p}"] = torch.empty(n, device="meta")
    else:
        sd[f"{prefix}.weight"] = 1 + 0.1 * torch.randn(n, generator=g)
        sd[f"{prefix}.bias"] = 0.1 * torch.randn(n, generator=g)
        sd[f"{prefix}.running_mean"] = 0.1 * torch.randn(n, generator=g)
        sd[f"{prefix}.running_var"] = 0.5 + torch.rand(n, generator=g)
    sd[f"{prefix}.num_batches_tracked"] = torch.tensor(7)


def official_state(c: int = C, depth: int = DEPTH, hidden: int = HID, part: int = PART,
                   tokens: int = 4, ch: int = CH, proto: tuple[int, int, int] | None = None,
                   f_neck: int | None = None, device: str = "cpu") -> dict[str, torch.Tensor]:
    """An mmpose ViTPose++ (+ PoseBH proto_head) state dict with official key names."""
    g = torch.Generator().manual_seed(0)

    def t(*shape: int, scale: float = 0.2) -> torch.Tensor:
        if device == "meta":
            return torch.empty(*shape, device="meta")
        return scale * torch.randn(*shape, generator=g)

    n_exp = len(skeletons.SOURCES)
    sd: dict[str, torch.Tensor] = {
        "backbone.patch_embed.proj.weight": t(c, 3, 16, 16, scale=0.05),
        "backbone.patch_embed.proj.bias": t(c),
        "backbone.pos_embed": t(1, tokens + 1, c),
    }
    for i in range(depth):
        b = f"backbone.blocks.{i}"
        sd.update({f"{b}.norm1.weight": 1 + t(c), f"{b}.norm1.bias": t(c),
                   f"{b}.attn.qkv.weight": t(3 * c, c), f"{b}.attn.qkv.bias": t(3 * c),
                   f"{b}.attn.proj.weight": t(c, c), f"{b}.attn.proj.bias": t(c),
                   f"{b}.norm2.weight": 1 + t(c), f"{b}.norm2.bias": t(c),
                   f"{b}.mlp.fc1.weight": t(hidden, c), f"{b}.mlp.fc1.bias": t(hidden),
                   f"{b}.mlp.fc2.weight": t(c - part, hidden), f"{b}.mlp.fc2.bias": t(c - part)})
        for k in range(n_exp):
            sd[f"{b}.mlp.experts.{k}.weight"] = t(part, hidden)
            sd[f"{b}.mlp.experts.{k}.bias"] = t(part)
    sd["backbone.last_norm.weight"], sd["backbone.last_norm.bias"] = 1 + t(c), t(c)
    heads = ["keypoint_head"] + [f"associate_keypoint_heads.{i}" for i in range(n_exp - 1)]
    for h, d in zip(heads, skeletons.SOURCES):
        k = skeletons.get(d).num_keypoints
        sd[f"{h}.deconv_layers.0.weight"] = t(c, ch, 4, 4)
        _bn(sd, f"{h}.deconv_layers.1", ch, g, device)
        sd[f"{h}.deconv_layers.3.weight"] = t(ch, ch, 4, 4)
        _bn(sd, f"{h}.deconv_layers.4", ch, g, device)
        sd[f"{h}.final_layer.weight"] = t(k, ch, 1, 1)
        sd[f"{h}.final_layer.bias"] = t(k)
    if proto is not None:
        jj, m, f = proto
        p = "proto_head"
        sd[f"{p}.deconv_layers.0.weight"] = t(c, ch, 4, 4)
        _bn(sd, f"{p}.deconv_layers.1", ch, g, device)
        sd[f"{p}.deconv_layers.3.weight"] = t(ch, ch, 4, 4)
        _bn(sd, f"{p}.deconv_layers.4", ch, g, device)
        sd[f"{p}.neck.conv1.weight"], sd[f"{p}.neck.conv1.bias"] = t(f, ch, 3, 3), t(f)
        _bn(sd, f"{p}.neck.bn1", f, g, device)
        sd[f"{p}.neck.conv2.weight"], sd[f"{p}.neck.conv2.bias"] = t(f, f, 3, 3), t(f)
        _bn(sd, f"{p}.neck.bn2", f, g, device)
        sd[f"{p}.neck.downsample.0.weight"] = t(f, ch, 1, 1)
        _bn(sd, f"{p}.neck.downsample.1", f, g, device)
        sd[f"{p}.head.0.weight"], sd[f"{p}.head.0.bias"] = t(f, f, 3, 3), t(f)
        _bn(sd, f"{p}.head.1", f, g, device)
        sd[f"{p}.head.3.weight"], sd[f"{p}.head.3.bias"] = t(f, f, 1, 1), t(f)
        bank = t(jj, m, f)
        sd[f"{p}.kpt_prototype.prototypes"] = bank if device == "meta" else F.normalize(bank, dim=-1)
        sd[f"{p}.cluster_prototype.prototypes"] = t(96, m, f)
    return sd


# ----------------------------------------------------------------- official forward passes
def ref_backbone(sd: dict, x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """ViTMoE.forward_features: padded patch conv, pos + cls slot, blocks with expert fc2, last_norm."""
    b = x.shape[0]
    f = F.conv2d(x, sd["backbone.patch_embed.proj.weight"], sd["backbone.patch_embed.proj.bias"],
                 stride=16, padding=2)
    hp, wp = f.shape[-2:]
    pe = sd["backbone.pos_embed"]
    z = f.flatten(2).transpose(1, 2) + pe[:, 1:] + pe[:, :1]  # (B, N, C)
    for i in range(DEPTH):
        p = f"backbone.blocks.{i}."
        h = F.layer_norm(z, (C,), sd[p + "norm1.weight"], sd[p + "norm1.bias"], eps=1e-6)
        qkv = F.linear(h, sd[p + "attn.qkv.weight"], sd[p + "attn.qkv.bias"])
        q, k, v = qkv.reshape(b, -1, 3, NH, C // NH).permute(2, 0, 3, 1, 4)
        a = ((q * (C // NH) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        z = z + F.linear((a @ v).transpose(1, 2).reshape(b, -1, C), sd[p + "attn.proj.weight"],
                         sd[p + "attn.proj.bias"])
        h = F.layer_norm(z, (C,), sd[p + "norm2.weight"], sd[p + "norm2.bias"], eps=1e-6)
        h = F.gelu(F.linear(h, sd[p + "mlp.fc1.weight"], sd[p + "mlp.fc1.bias"]))
        shared = F.linear(h, sd[p + "mlp.fc2.weight"], sd[p + "mlp.fc2.bias"])
        expert = torch.stack([F.linear(h[j], sd[p + f"mlp.experts.{int(e)}.weight"],
                                       sd[p + f"mlp.experts.{int(e)}.bias"])
                              for j, e in enumerate(idx)])
        z = z + torch.cat([shared, expert], dim=-1)
    z = F.layer_norm(z, (C,), sd["backbone.last_norm.weight"], sd["backbone.last_norm.bias"], eps=1e-6)
    return z.transpose(1, 2).reshape(b, C, hp, wp)


def _ref_bn(sd: dict, p: str, x: torch.Tensor, training: bool = False) -> torch.Tensor:
    """BatchNorm with running statistics (eval) or batch statistics, updating sd's running ones."""
    return F.batch_norm(x, sd[p + ".running_mean"], sd[p + ".running_var"], sd[p + ".weight"],
                        sd[p + ".bias"], training=training, momentum=0.1)


def _ref_deconv(sd: dict, p: str, x: torch.Tensor) -> torch.Tensor:
    for i in (0, 3):
        x = F.conv_transpose2d(x, sd[f"{p}.deconv_layers.{i}.weight"], stride=2, padding=1)
        x = F.relu(_ref_bn(sd, f"{p}.deconv_layers.{i + 1}", x))
    return x


def ref_head(sd: dict, p: str, feats: torch.Tensor) -> torch.Tensor:
    """TopdownHeatmapSimpleHead (eval): 2x [deconv, BN, ReLU], 1x1 conv."""
    return F.conv2d(_ref_deconv(sd, p, feats), sd[p + ".final_layer.weight"], sd[p + ".final_layer.bias"])


def ref_proto_head(sd: dict, feats: torch.Tensor, training: bool = False) -> torch.Tensor:
    """KptProtoHead.forward + the L2 normalisation of KptPrototype: biased convs before BN."""
    p, tr = "proto_head", training
    x = feats
    for i in (0, 3):
        x = F.conv_transpose2d(x, sd[f"{p}.deconv_layers.{i}.weight"], stride=2, padding=1)
        x = F.relu(_ref_bn(sd, f"{p}.deconv_layers.{i + 1}", x, tr))
    y = F.silu(_ref_bn(sd, f"{p}.neck.bn1", F.conv2d(x, sd[f"{p}.neck.conv1.weight"],
                                                      sd[f"{p}.neck.conv1.bias"], padding=1), tr))
    y = _ref_bn(sd, f"{p}.neck.bn2", F.conv2d(y, sd[f"{p}.neck.conv2.weight"],
                                               sd[f"{p}.neck.conv2.bias"], padding=1), tr)
    r = _ref_bn(sd, f"{p}.neck.downsample.1", F.conv2d(x, sd[f"{p}.neck.downsample.0.weight"]), tr)
    y = F.silu(y + r)
    y = F.silu(_ref_bn(sd, f"{p}.head.1", F.conv2d(y, sd[f"{p}.head.0.weight"],
                                                    sd[f"{p}.head.0.bias"], padding=1), tr))
    y = F.conv2d(y, sd[f"{p}.head.3.weight"], sd[f"{p}.head.3.bias"])
    return F.normalize(y, dim=1)


# ----------------------------------------------------------------------------------- tests
def test_vitpose_plus_forward_matches_the_official_computation():
    sd = official_state()
    ckpt = convert_official(sd, img_size=IMG, num_heads=NH)
    assert "method_cfg" not in ckpt
    cfg = ckpt["model_cfg"]
    assert (cfg["embed_dim"], cfg["depth"], cfg["num_heads"], cfg["mlp_ratio"]) == (C, DEPTH, NH, 2.0)
    assert (cfg["part_features"], cfg["head_channels"], cfg["patch_padding"]) == (PART, CH, 2)
    assert cfg["datasets"] == list(skeletons.SOURCES)
    model = from_checkpoint(ckpt).eval()  # strict load
    x = torch.randn(3, 3, *IMG, generator=torch.Generator().manual_seed(1))
    idx = torch.tensor([0, 3, 5])
    with torch.no_grad():
        feats = model.backbone(x, idx)
        torch.testing.assert_close(feats, ref_backbone(sd, x, idx), rtol=1e-4, atol=1e-5)
        out = model(x, idx)
    heads = ["keypoint_head"] + [f"associate_keypoint_heads.{i}" for i in range(5)]
    for name, h in zip(skeletons.SOURCES, heads):
        torch.testing.assert_close(out[name], ref_head(sd, h, feats), rtol=1e-4, atol=1e-6)


def test_pos_embed_fold_and_expert_rows_by_hand():
    sd = official_state()
    ours = convert_official(sd, img_size=IMG, num_heads=NH)["state_dict"]
    pe = sd["backbone.pos_embed"]  # (1, 1 + 4, C)
    for n in range(4):
        assert torch.equal(ours["backbone.vit.pos_embed"][0, n], pe[0, n + 1] + pe[0, 0])
    assert ours["backbone.vit.pos_embed"].shape == (1, 4, C)
    for k in range(6):  # expert k = dataset k, row for row
        assert torch.equal(ours[f"backbone.vit.blocks.1.mlp.experts.{k}.weight"],
                           sd[f"backbone.blocks.1.mlp.experts.{k}.weight"])
    assert torch.equal(ours["backbone.vit.blocks.0.mlp.fc2.weight"], sd["backbone.blocks.0.mlp.fc2.weight"])
    assert torch.equal(ours["backbone.vit.norm.weight"], sd["backbone.last_norm.weight"])
    assert torch.equal(ours["heads.mpii.final.bias"], sd["associate_keypoint_heads.1.final_layer.bias"])


def test_posebh_checkpoint_maps_proto_head_and_folds_conv_biases(tmp_path):
    f = 4  # != head channels 8, so the ResBlock has a 1x1 shortcut (as F=64 vs 256)
    sd = official_state(proto=(J, 3, f))
    path = tmp_path / "posebh_base.pth"
    torch.save({"meta": {"epoch": 100}, "state_dict": sd}, path)  # mmcv layout
    ckpt = load_official(path, img_size=IMG, num_heads=NH)
    assert ckpt["method_cfg"]["embed_dim"] == f and ckpt["method_cfg"]["num_prototypes"] == 3
    assert ckpt["method_cfg"]["similarity"] == "abs" and ckpt["method_cfg"]["num_clusters"] == 96
    assert ckpt["ignored"] == ["proto_head.cluster_prototype.prototypes"]
    ours = ckpt["state_dict"]
    assert torch.equal(ours["bank.prototypes"], sd["proto_head.kpt_prototype.prototypes"])
    # conv bias b folded into the next BN: running_mean - b
    torch.testing.assert_close(ours["embed.res.bn1.running_mean"],
                               sd["proto_head.neck.bn1.running_mean"] - sd["proto_head.neck.conv1.bias"])
    torch.testing.assert_close(ours["embed.conv.1.running_mean"],
                               sd["proto_head.head.1.running_mean"] - sd["proto_head.head.0.bias"])
    assert (ours["cluster_owner"] == -1).all()  # K-means negatives recomputed at phase 2
    model = from_checkpoint(ckpt).eval()
    assert not model.clusters_ready
    x = torch.randn(2, 3, *IMG, generator=torch.Generator().manual_seed(2))
    idx = torch.tensor([1, 4])
    with torch.no_grad():
        feats = model.backbone(x, idx)
        emb = model.embed(feats)
    torch.testing.assert_close(emb, ref_proto_head(sd, feats), rtol=1e-4, atol=1e-5)
    # training-mode BN: batch statistics absorb the bias, and after the running-statistics
    # update our running mean is still the official one minus the bias
    official = {k: v.clone() for k, v in sd.items()}
    model.embed.train()
    with torch.no_grad():
        torch.testing.assert_close(model.embed(feats), ref_proto_head(official, feats, training=True),
                                   rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(
        model.embed.res.bn2.running_mean,
        official["proto_head.neck.bn2.running_mean"] - sd["proto_head.neck.conv2.bias"])


def test_vit_base_config_is_read_from_the_shapes():
    sd = official_state(c=768, depth=12, hidden=3072, part=192, tokens=192, ch=256,
                        proto=(J, 3, 64), device="meta")
    ckpt = convert_official(sd)  # defaults: 256x192 input, 12 heads for width 768
    cfg = ckpt["model_cfg"]
    assert cfg["img_size"] == [256, 192] and cfg["patch_size"] == 16 and cfg["patch_padding"] == 2
    assert (cfg["embed_dim"], cfg["depth"], cfg["num_heads"], cfg["mlp_ratio"]) == (768, 12, 12, 4.0)
    assert (cfg["part_features"], cfg["head_channels"]) == (192, 256)
    assert ckpt["state_dict"]["bank.prototypes"].shape == (214, 3, 64)
    assert ckpt["state_dict"]["backbone.vit.pos_embed"].shape == (1, 192, 768)
    assert ckpt["state_dict"]["heads.coco_wholebody.final.weight"].shape == (133, 256, 1, 1)


def _one_line_error(sd: dict, **kw: object) -> str:
    with pytest.raises(OfficialWeightsError) as e:
        convert_official(sd, source="vitpose+_base.pth", img_size=IMG, num_heads=NH, **kw)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("vitpose+_base.pth: ")
    return msg


def test_wrong_shape_gives_a_one_line_error_naming_file_key_and_shapes(tmp_path):
    sd = official_state()
    sd["associate_keypoint_heads.0.final_layer.weight"] = torch.zeros(15, CH, 1, 1)  # AIC has 14
    msg = _one_line_error(sd)
    assert "'associate_keypoint_heads.0.final_layer.weight'" in msg
    assert "(15, 8, 1, 1)" in msg and "(14, 8, 1, 1)" in msg and "'heads.aic.final.weight'" in msg
    path = tmp_path / "vitpose+_base.pth"
    torch.save({"state_dict": sd}, path)
    with pytest.raises(OfficialWeightsError, match=r"^vitpose\+_base\.pth: 'associate"):
        load_official(path, img_size=IMG, num_heads=NH)


def test_missing_unexpected_and_inconsistent_keys():
    sd = official_state()
    del sd["backbone.blocks.1.attn.proj.bias"]
    assert "backbone.vit.blocks.1.attn.proj.bias" in _one_line_error(sd)
    sd = official_state()
    sd["backbone.cls_token"] = torch.zeros(1, 1, C)
    assert "unexpected key 'backbone.cls_token'" in _one_line_error(sd)
    sd = official_state()
    sd["proto_head.neck.conv1.weight"] = torch.zeros(8, CH, 3, 3)  # a proto head without its bank
    assert "proto_head.kpt_prototype.prototypes" in _one_line_error(sd)
    msg = _one_line_error(official_state(), datasets=("coco", "aic"))
    assert "6 keypoint heads" in msg
    with pytest.raises(OfficialWeightsError, match="pass img_size"):
        convert_official(official_state(), num_heads=NH)  # 4 tokens do not fit 256x192


def test_plain_split_checkpoint_without_experts():
    """A ViTPose checkpoint split per dataset (no experts, one head): named via ``datasets``."""
    sd = {k: v for k, v in official_state(part=0).items()
          if ".experts." not in k and not k.startswith("associate_keypoint_heads.")}
    ckpt = convert_official(sd, img_size=IMG, num_heads=NH)
    assert ckpt["model_cfg"]["datasets"] == ["coco"] and ckpt["model_cfg"]["part_features"] == 0
    model = from_checkpoint(ckpt).eval()
    x = torch.randn(1, 3, *IMG)
    with torch.no_grad():
        out = model(x, torch.tensor([0]))["coco"]
    assert out.shape == (1, 17, 8, 8) and math.isfinite(out.sum().item())
