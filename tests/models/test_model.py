import tiny
import torch

from posebh import skeletons
from posebh.losses import joints_mse, multihead_mse
from posebh.models.backbone import ExpertMlp
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.training.config import OptimConfig
from posebh.training.optim import StepSchedule, param_groups
from posebh.zoo.checkpoint import from_checkpoint, split_expert_backbone, to_checkpoint

TINY = {**tiny.TINY_64, "depth": 2}


def test_output_shapes_per_head():
    model = MultiHeadPose(ModelConfig(**TINY))
    out = model(torch.randn(3, 3, 64, 48), torch.tensor([0, 1, 5]))
    assert list(out) == list(skeletons.SOURCES)
    for name, hm in out.items():
        assert hm.shape == (3, skeletons.get(name).num_keypoints, 16, 12)


def test_expert_channels_depend_on_dataset_index_only_in_the_part():
    torch.manual_seed(0)
    mlp = ExpertMlp(16, 32, num_experts=3, part_features=4)
    x = torch.randn(1, 5, 16).expand(2, 5, 16)
    mlp.route(torch.tensor([0, 2]))
    y = mlp(x)
    torch.testing.assert_close(y[0, :, :12], y[1, :, :12])  # shared channels
    assert not torch.allclose(y[0, :, 12:], y[1, :, 12:])  # expert channels differ


def test_masked_loss_only_sees_own_dataset():
    b, k = 4, 17
    pred = torch.zeros(b, k, 8, 6)
    target = torch.zeros(b, 133, 8, 6)
    target[2, :k] = 1.0  # sample 2 belongs to dataset 3 (ap10k) - coco head must ignore it
    weight = torch.ones(b, 133)
    didx = torch.tensor([0, 0, 3, 3])
    losses = multihead_mse({"coco": pred}, target, weight, didx, skeletons.SOURCES)
    assert losses["coco"].item() == 0.0
    losses = multihead_mse({"ap10k": pred}, target, weight, didx, skeletons.SOURCES)
    assert losses["ap10k"].item() > 0
    # feeding only the own rows gives the same value as masking the whole batch
    rows = multihead_mse({"ap10k": pred[didx == 3]}, target, weight, didx, skeletons.SOURCES)
    torch.testing.assert_close(rows["ap10k"], losses["ap10k"])


def test_joints_mse_matches_definition():
    pred, target = torch.rand(2, 3, 4, 4), torch.rand(2, 3, 4, 4)
    w = torch.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    expected = sum(((pred[:, j] - target[:, j]) ** 2 * w[:, j, None, None] ** 2).mean() for j in range(3)) / 3
    torch.testing.assert_close(joints_mse(pred, target, w), expected)


def test_one_training_step_reduces_the_loss():
    torch.manual_seed(0)
    model = MultiHeadPose(ModelConfig(**TINY))
    images = torch.randn(6, 3, 64, 48)
    didx = torch.tensor([0, 1, 2, 3, 4, 5])
    target = torch.zeros(6, 133, 16, 12)
    target[:, :, 8, 6] = 1.0
    weight = torch.ones(6, 133)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(3):
        out = model(images, didx)
        loss = sum(multihead_mse(out, target, weight, didx, skeletons.SOURCES).values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_checkpoint_round_trip_and_expert_split():
    model = MultiHeadPose(ModelConfig(**TINY))
    ckpt = to_checkpoint(model)
    again = from_checkpoint(ckpt)
    for (k, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert torch.equal(a, b), k
    plain = MultiHeadPose(ModelConfig(**{**TINY, "part_features": 0}))
    plain.backbone.load_state_dict(split_expert_backbone(ckpt, expert=0))
    x = torch.randn(2, 3, 64, 48)
    feats_moe = model.backbone(x, torch.zeros(2, dtype=torch.long))
    feats_plain = plain.backbone(x, torch.zeros(2, dtype=torch.long))
    torch.testing.assert_close(feats_moe, feats_plain)


def test_layer_decay_and_schedule():
    model = MultiHeadPose(ModelConfig(**TINY))
    groups = param_groups(model, OptimConfig(layer_decay=0.5), num_layers=2)
    scales = sorted({g["lr_scale"] for g in groups})
    assert scales == [0.125, 0.25, 0.5, 1.0]
    assert all(g["weight_decay"] == 0.0 for g in groups if all(p.ndim == 1 for p in g["params"]))
    s = StepSchedule(1e-3, warmup_iters=10, warmup_ratio=0.001, steps=(5, 8))
    assert abs(s.lr(0, 0) - 1e-6) < 1e-15
    assert s.lr(0, 10) == 1e-3
    assert abs(s.lr(5, 100) - 1e-4) < 1e-12 and abs(s.lr(8, 100) - 1e-5) < 1e-15


def test_merged_label_space_shares_identically_named_channels_and_one_pass_gives_every_view():
    import torch

    from posebh.models.config import ModelConfig
    from posebh.models.merged import canonical_name, merged_label_space
    from posebh.models.multihead import MultiHeadPose

    assert canonical_name("L_Eye") == "left_eye" and canonical_name("Root of tail") == "root_of_tail"
    names, index = merged_label_space(("coco", "ap10k"))
    assert index["coco"][names.index("left_eye")] == index["coco"][1]
    assert index["ap10k"][0] == index["coco"][1]  # AP-10K L_Eye is COCO's left_eye channel
    cfg = ModelConfig(**{**tiny.TINY, "part_features": 0, "datasets": ("coco", "ap10k")},
                      label_space="merged")
    net = MultiHeadPose(cfg).eval()
    assert list(net.heads) == ["coco", "ap10k"]
    x = torch.randn(2, 3, 32, 32)
    feats = net.backbone(x, torch.tensor([0, 1]))
    once = net.heads.forward_all(feats)
    for name in ("coco", "ap10k"):
        assert torch.allclose(once[name], net.heads[name](feats))


def test_rows_grouped_by_dataset_are_sliced_with_the_masked_heads_values_and_grads():
    model = MultiHeadPose(ModelConfig(**TINY)).train()
    torch.manual_seed(0)
    feats = torch.randn(7, 32, 4, 3)
    grouped = torch.tensor([0, 0, 2, 2, 2, 5, 5])
    a_in, b_in = feats.clone().requires_grad_(), feats.clone().requires_grad_()
    sliced = model.run_heads(a_in, grouped, full_batch=False)
    shuffle = torch.tensor([3, 0, 5, 2, 6, 1, 4])  # same rows, not grouped: the mask path
    masked = model.run_heads(b_in[shuffle], grouped[shuffle], full_batch=False)
    assert set(sliced) == set(masked) == {"coco", "mpii", "coco_wholebody"}
    for name, out in sliced.items():
        rows = shuffle[grouped[shuffle] == list(model.heads).index(name)]
        order = torch.argsort(rows)
        assert torch.allclose(out, masked[name][order], atol=1e-6), name
    sum(o.square().sum() for o in sliced.values()).backward()
    sum(o.square().sum() for o in masked.values()).backward()
    assert torch.allclose(a_in.grad, b_in.grad, atol=1e-6)


def test_backbone_features_are_the_tokens_in_channels_last_order():
    model = MultiHeadPose(ModelConfig(**TINY)).eval()
    x, idx = torch.randn(2, 3, 64, 48), torch.tensor([0, 3])
    feats = model.backbone(x, idx)  # (B, C, h, w)
    tokens = model.backbone.vit.forward_features(x)  # (B, N, C), routing set by the call above
    assert feats.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(feats, tokens.transpose(1, 2).reshape(feats.shape))
