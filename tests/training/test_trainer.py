import pytest
import torch
from tiny import TINY, TinyKeypoints

from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.training.config import OptimConfig, TrainConfig
from posebh.training.objective import MultiHeadObjective
from posebh.training.trainer import autocast, train_multihead


def blobs(idx: int, k: int) -> TinyKeypoints:
    """A bright square whose centre is the target of every keypoint (same layouts per dataset)."""
    return TinyKeypoints(idx, k, style="blob", seed="epoch")


def _run(cfg: TrainConfig):
    torch.manual_seed(0)
    model = MultiHeadPose(ModelConfig(**TINY))
    hist = train_multihead(model, [blobs(0, 17), blobs(1, 14)], cfg, torch.device("cpu"),
                           MultiHeadObjective(model, cfg.heads_on_full_batch), progress=False)
    return model, hist


def test_training_is_bit_identical_on_cpu_and_loss_falls():
    cfg = TrainConfig(epochs=3, batch_size=4, optim=OptimConfig(lr=3e-3, warmup_iters=1, lr_steps=()))
    a, hist = _run(cfg)
    b, _ = _run(cfg)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(pa, pb), name
    assert hist[-1]["loss"] < hist[0]["loss"]
    assert set(hist[0]) >= {"loss", "loss_coco", "loss_aic", "lr", "seconds", "images_per_s"}


def test_bf16_autocast_runs_on_cpu():
    model = MultiHeadPose(ModelConfig(**TINY))
    with autocast(torch.device("cpu"), "bf16"):
        out = model(torch.randn(2, 3, 32, 32), torch.tensor([0, 1]))
    assert out["coco"].dtype == torch.bfloat16
    cfg = TrainConfig(epochs=1, batch_size=4, amp="bf16", optim=OptimConfig(warmup_iters=1, lr_steps=()))
    _, hist = _run(cfg)
    assert torch.isfinite(torch.tensor(hist[0]["loss"]))


def test_worker_processes_see_every_epoch():
    """Persistent workers keep their dataset copy; epoch 2 must not repeat epoch 1's draws."""
    cfg = TrainConfig(epochs=3, batch_size=4, optim=OptimConfig(lr=3e-3, warmup_iters=1, lr_steps=()))
    _, single = _run(cfg)
    _, workers = _run(TrainConfig(**{**cfg.to_dict(), "num_workers": 1, "optim": cfg.optim}))
    assert [h["loss"] for h in workers] == [h["loss"] for h in single]


def test_fast_and_reference_paths_train_alike():
    """Fused AdamW + rows grouped by dataset against the per-sample, for-loop AdamW reference:
    the same samples per step, so the losses agree to float rounding."""
    cfg = TrainConfig(epochs=2, batch_size=4, optim=OptimConfig(lr=3e-3, warmup_iters=1, lr_steps=()),
                      heads_on_full_batch=False)
    fast, hf = _run(cfg)
    ref, hr = _run(TrainConfig(**{**cfg.to_dict(), "fast_path": False, "optim": cfg.optim}))
    for a, b in zip(hf, hr):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4)
    for (name, pa), pb in zip(fast.state_dict().items(), ref.state_dict().values()):
        assert torch.allclose(pa.float(), pb.float(), atol=1e-5), name


def test_compile_is_opt_in_and_compiles_the_backbone_in_place(monkeypatch):
    compiled = []
    monkeypatch.setattr(torch.nn.Module, "compile", lambda self, *a, **k: compiled.append(self))
    cfg = TrainConfig(epochs=1, batch_size=4, optim=OptimConfig(warmup_iters=1, lr_steps=()))
    _run(cfg)
    assert compiled == []
    model, _ = _run(TrainConfig(**{**cfg.to_dict(), "compile": True, "optim": cfg.optim}))
    assert compiled == [model.backbone]


def test_batched_topdown_training_repeats_bit_for_bit(tmp_path):
    """The fast data path (one grid_sample crop per batch, grouped rows) on real-format data."""
    from support import random_coco

    from posebh.runs.config import SampleConfig
    from posebh.runs.inputs import training_sets

    model_cfg = ModelConfig(**{**TINY, "img_size": (64, 48), "datasets": ("coco", "ap10k")})
    sets = {d: random_coco(tmp_path, d, 6, i) for i, d in enumerate(model_cfg.datasets)}
    cfg = TrainConfig(epochs=2, batch_size=4, heads_on_full_batch=False,
                      optim=OptimConfig(lr=3e-3, warmup_iters=1, lr_steps=()))

    def run():
        torch.manual_seed(0)
        model = MultiHeadPose(model_cfg)
        data = training_sets(sets, model_cfg, SampleConfig())
        hist = train_multihead(model, data, cfg, torch.device("cpu"),
                               MultiHeadObjective(model, False), progress=False)
        return model, hist

    (a, ha), (b, hb) = run(), run()
    assert [h["loss"] for h in ha] == [h["loss"] for h in hb]
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(pa, pb), name


def test_eps_overrides_give_the_named_module_its_own_adam_epsilon():
    from posebh.training.optim import build_optimizer

    net = torch.nn.Sequential()
    net.add_module("backbone", torch.nn.Linear(3, 3))
    net.add_module("embed", torch.nn.Linear(3, 2))
    net.add_module("embedding_other", torch.nn.Linear(2, 2))  # a prefix match must end at a dot
    cfg = OptimConfig(eps=1e-8, eps_overrides={"embed": 1e-12})
    opt = build_optimizer(net, cfg, num_layers=1)
    eps_of = {id(p): g["eps"] for g in opt.param_groups for p in g["params"]}
    assert {eps_of[id(p)] for p in net.embed.parameters()} == {1e-12}
    assert {eps_of[id(p)] for n, p in net.named_parameters() if not n.startswith("embed.")} == {1e-8}
