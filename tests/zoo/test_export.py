"""ONNX / TorchScript export: parity with eager PyTorch, FLOPs of the deployed graph, the CLI."""

from __future__ import annotations

import io

import pytest
import tiny
import torch
from torch.utils.flop_counter import FlopCounterMode

from posebh.commands import main
from posebh.evaluation.flops import gflops
from posebh.method.config import MethodConfig
from posebh.method.posebh_model import PoseBHModel
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.zoo import export
from posebh.zoo.checkpoint import from_checkpoint, to_checkpoint
from posebh.zoo.deploy import deploy
from posebh.zoo.load import load_checkpoint

CFG = {**tiny.TINY_64, "depth": 2, "datasets": ("coco", "aic", "mpii")}
TOL = 1e-4


def _randomised(model: MultiHeadPose) -> MultiHeadPose:
    """Non-trivial weights and BN statistics (heads start near zero: parity would be vacuous)."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(0.5 + torch.rand(t.shape, generator=g) if name.endswith("running_var")
                        else 0.2 * torch.randn(t.shape, generator=g))
    return model.eval()


def _ckpt(posebh: bool = True, label_space: str = "per_dataset") -> dict:
    cfg = ModelConfig(**CFG, label_space=label_space)
    model = PoseBHModel(cfg, MethodConfig(**tiny.METHOD)) if posebh else MultiHeadPose(cfg)
    return to_checkpoint(_randomised(model))


def _macs(module: torch.nn.Module, *inputs: torch.Tensor) -> float:
    """GMACs as ``gflops`` counts them (FlopCounterMode / 2, SDPA left out)."""
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        module(*inputs)
    counts = counter.get_flop_counts().get("Global", {})
    return sum(n for op, n in counts.items() if "scaled_dot_product" not in str(op)) / 2 / 1e9


@pytest.mark.parametrize("label_space", ["per_dataset", "merged"])
def test_single_head_onnx_matches_pytorch(label_space: str) -> None:
    pytest.importorskip("onnxruntime")
    ckpt = _ckpt(label_space=label_space)
    module = export.single_head(ckpt, "aic")
    data, delta = export.export(module, "onnx")
    assert delta <= TOL
    x = export.example_inputs(module, batch=3, seed=5)  # another batch size: dynamic axis
    (got,) = export.run_onnx(data, x, ["images"])
    with torch.no_grad():
        want = from_checkpoint(ckpt).eval()(x[0], torch.full((3,), 1))["aic"]  # head aic, expert 1
    assert got.shape == (3, 14, 16, 12) and float(want.abs().max()) > 0.1
    assert float((got - want).abs().max()) <= TOL


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_multi_dataset_model_takes_a_dataset_index(fmt: str) -> None:
    if fmt == "onnx":
        pytest.importorskip("onnxruntime")
    ckpt = _ckpt()
    module = export.all_heads(ckpt)
    data, delta = export.export(module, fmt)
    assert delta <= TOL
    x = export.example_inputs(module, batch=4, seed=3)  # dataset_idx 0, 1, 2, 0
    got = (export.run_onnx(data, x, ["images", "dataset_idx"]) if fmt == "onnx"
           else export.run_torchscript(data, x))
    with torch.no_grad():
        want = from_checkpoint(ckpt).eval()(*x)
    assert [tuple(t.shape[:2]) for t in got] == [(4, 17), (4, 14), (4, 16)]
    for g, name in zip(got, CFG["datasets"]):
        assert float((g - want[name]).abs().max()) <= TOL


def test_torchscript_trace_equals_eager_and_has_the_deployed_baselines_flops() -> None:
    ckpt = _ckpt(posebh=True)
    module = export.single_head(ckpt, "mpii")
    data, delta = export.export(module, "torchscript")
    assert delta <= TOL
    traced = torch.jit.load(io.BytesIO(data))
    x = export.example_inputs(module, batch=1)
    baseline = from_checkpoint(deploy(_ckpt(posebh=False), "mpii"))  # deployed ViTPose++
    want = gflops(baseline, CFG["img_size"], head="mpii")
    assert want > 0
    assert _macs(module, *x) == pytest.approx(want, rel=1e-9)
    assert _macs(traced, *x) == pytest.approx(want, rel=1e-9)


def test_released_weights_export(tmp_path) -> None:
    pytest.importorskip("onnxruntime")
    from zoo.test_official_weights import IMG, NH, official_state

    path = tmp_path / "vitpose+_tiny.pth"
    torch.save({"state_dict": official_state(), "meta": {}}, path)
    ckpt = load_checkpoint(path, img_size=IMG, num_heads=NH)
    assert export.head_names(ckpt)[0] == "coco"
    module = export.single_head(ckpt, "coco")
    for fmt in export.FORMATS:
        assert export.export(module, fmt)[1] <= TOL


def test_cli_writes_a_checked_file(tmp_path, capsys) -> None:
    src = tmp_path / "posebh.pt"
    torch.save(_ckpt(), src)
    out = tmp_path / "m" / "coco.pt"
    assert main(["export", "--checkpoint", str(src), "--dataset", "coco",
                 "--format", "torchscript", "--out", str(out)]) == 0
    assert "max |heatmap - PyTorch|" in capsys.readouterr().out
    assert torch.jit.load(str(out))(torch.zeros(1, 3, 64, 48)).shape == (1, 17, 16, 12)
    assert [p.name for p in out.parent.iterdir()] == ["coco.pt"]  # no temp file left


def _error(capsys, *argv: str) -> str:
    assert main(["export", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys) -> None:
    good = tmp_path / "posebh.pt"
    torch.save(_ckpt(), good)
    junk = tmp_path / "notes.pt"
    junk.write_text("not a checkpoint")
    other = tmp_path / "other.pt"
    torch.save({"state_dict": {"encoder.weight": torch.zeros(2)}}, other)
    out = tmp_path / "out.onnx"
    common = ["--format", "torchscript", "--out", str(out)]
    err = _error(capsys, "--checkpoint", str(good), "--dataset", "ap10k", *common)
    assert "ap10k" in err and "heads: coco, aic, mpii" in err
    for bad in (junk, other, tmp_path / "missing.pt"):
        assert str(bad) in _error(capsys, "--checkpoint", str(bad), "--dataset", "coco", *common)
    assert "--dataset" in _error(capsys, "--checkpoint", str(good), *common)
    assert not out.exists()
