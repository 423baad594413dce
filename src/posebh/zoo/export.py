"""Export of the inference models to ONNX and TorchScript, checked against eager PyTorch.

Two graphs, both with a dynamic batch axis:

* **per-dataset** (``single_head``): ``deploy(ckpt, dataset)`` (experts merged into fc2, the
  PoseBH embedding module / prototypes dropped) wrapped as ``images (B, 3, H, W) float32 ->
  heatmaps (B, K_d, H/4, W/4)``; the same architecture and FLOPs as the deployed baseline.
* **multi-dataset** (``all_heads``): the multi-head model without the training-only modules,
  ``images (B, 3, H, W), dataset_idx (B,) int64 -> tuple of heatmaps, one per head in the
  model's head order`` (``head_names``). Row b goes through the backbone with expert
  ``dataset_idx[b]``; every head runs on the whole batch (as ViTPose++ does), so the caller reads
  head ``dataset_idx[b]`` of row b. A tuple exports cleanly (static output count and shapes); a
  head picked by a runtime index would need data-dependent control flow.

TorchScript is ``torch.jit.trace`` (the wrappers have no data-dependent Python control flow);
ONNX is ``torch.onnx.export(dynamo=False)`` (the TorchScript-based exporter, opset 17). The
serialized bytes are produced in memory and compared with eager PyTorch before anyone writes
them, so a file is only published (atomically) once its parity is known. ONNX needs the
``export`` extra (onnx, onnxruntime): ``pip install -e '.[export]'``.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.zoo.checkpoint import from_checkpoint
from posebh.zoo.deploy import deploy

FORMATS = ("onnx", "torchscript")
OPSET = 17
EXTRA_HINT = "pip install -e '.[export]'"


class SingleHead(nn.Module):
    """A deployed one-dataset model as ``images -> heatmaps`` (no dataset index)."""

    def __init__(self, model: MultiHeadPose) -> None:
        super().__init__()
        if model.cfg.part_features or len(model.heads) != 1:
            raise ValueError("SingleHead takes a deployed model (one head, no experts)")
        self.model = model
        self.name = next(iter(model.heads))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # images: (B, 3, H, W) -> (B, K, H/4, W/4); no experts: the routing index is never read
        feats = self.model.backbone(images, None)  # (B, C, H/16, W/16)
        return self.model.heads[self.name](feats)


class AllHeads(nn.Module):
    """The multi-dataset model as ``(images, dataset_idx) -> tuple of heatmaps in head order``."""

    def __init__(self, model: MultiHeadPose) -> None:
        super().__init__()
        self.model = model
        self.names = list(model.heads)

    def forward(self, images: torch.Tensor, dataset_idx: torch.Tensor) -> tuple[torch.Tensor, ...]:
        # images: (B, 3, H, W), dataset_idx: (B,) -> ((B, K_d, H/4, W/4) for d in head order)
        feats = self.model.backbone(images, dataset_idx)
        out = self.model.run_heads(feats, dataset_idx, full_batch=True)  # merged: one pass
        return tuple(out[name] for name in self.names)


def head_names(ckpt: dict) -> tuple[str, ...]:
    """The datasets (heads) of a suite checkpoint, in head order."""
    return tuple(ModelConfig.from_dict(ckpt["model_cfg"]).datasets)


def single_head(ckpt: dict, dataset: str) -> SingleHead:
    """The deployed per-dataset model of ``dataset`` (eval mode, CPU float32)."""
    return SingleHead(from_checkpoint(deploy(ckpt, dataset))).eval()


def all_heads(ckpt: dict) -> AllHeads:
    """The multi-dataset model; the PoseBH modules (embedding, prototypes, K-means) are dropped."""
    model = MultiHeadPose(ModelConfig.from_dict(ckpt["model_cfg"]))
    weights = ckpt["state_dict"]
    model.load_state_dict({k: weights[k] for k in model.state_dict() if k in weights})  # strict
    return AllHeads(model).eval()


def example_inputs(module: SingleHead | AllHeads, batch: int = 2,
                   seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Random images (batch, 3, H, W) at the model's input size [+ dataset_idx (batch,)
    cycling through the heads]."""
    h, w = module.model.cfg.img_size
    images = torch.randn(batch, 3, h, w, generator=torch.Generator().manual_seed(seed))
    if isinstance(module, SingleHead):
        return (images,)
    return images, torch.arange(batch, dtype=torch.long) % len(module.names)


def _names(module: SingleHead | AllHeads) -> tuple[list[str], list[str]]:
    if isinstance(module, SingleHead):
        return ["images"], ["heatmaps"]
    return ["images", "dataset_idx"], [f"heatmaps_{name}" for name in module.names]


def to_onnx(module: SingleHead | AllHeads, inputs: Sequence[torch.Tensor]) -> bytes:
    """The ONNX model (opset 17, dynamic batch) of ``module`` as bytes."""
    _require("onnx")
    ins, outs = _names(module)
    buf = io.BytesIO()
    with torch.no_grad(), _quiet():
        torch.onnx.export(module, tuple(inputs), buf, input_names=ins, output_names=outs,
                          dynamic_axes={n: {0: "batch"} for n in ins + outs},
                          opset_version=OPSET, dynamo=False)
    return buf.getvalue()


def to_torchscript(module: SingleHead | AllHeads, inputs: Sequence[torch.Tensor]) -> bytes:
    """The traced TorchScript module of ``module`` as bytes (``torch.jit.load`` reads them)."""
    with torch.no_grad(), _quiet():
        traced = torch.jit.trace(module, tuple(inputs), check_trace=False)
        buf = io.BytesIO()
        torch.jit.save(traced, buf)
    return buf.getvalue()


def run_onnx(data: bytes, inputs: Sequence[torch.Tensor], input_names: list[str]
             ) -> list[torch.Tensor]:
    """The outputs of an ONNX model under onnxruntime (CPU)."""
    ort = _require("onnxruntime")
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = {n: t.numpy() for n, t in zip(input_names, inputs)}
    return [torch.from_numpy(a) for a in session.run(None, feeds)]


def run_torchscript(data: bytes, inputs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """The outputs of a serialized TorchScript module."""
    with _quiet():
        loaded = torch.jit.load(io.BytesIO(data), map_location="cpu")
    with torch.no_grad():
        out = loaded(*inputs)
    return [out] if torch.is_tensor(out) else list(out)


def max_abs_diff(module: SingleHead | AllHeads, fmt: str, data: bytes,
                 inputs: Sequence[torch.Tensor]) -> float:
    """max |exported - eager| over every output heatmap on ``inputs``."""
    with torch.no_grad():
        want = module(*inputs)
    want = [want] if torch.is_tensor(want) else list(want)
    got = (run_onnx(data, inputs, _names(module)[0]) if fmt == "onnx"
           else run_torchscript(data, inputs))
    if [tuple(t.shape) for t in got] != [tuple(t.shape) for t in want]:
        raise RuntimeError(f"exported {fmt} output shapes {[tuple(t.shape) for t in got]} != "
                           f"eager {[tuple(t.shape) for t in want]}")
    return max(float((g - w).abs().max()) for g, w in zip(got, want))


def export(module: SingleHead | AllHeads, fmt: str, batch: int = 2) -> tuple[bytes, float]:
    """Serialize ``module`` in ``fmt`` and check it: (bytes, max |Δ heatmap|). The check runs
    on a batch of ``batch + 1`` new images, so the dynamic batch axis is exercised too."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {FORMATS}")
    trace_inputs = example_inputs(module, batch)
    data = (to_onnx if fmt == "onnx" else to_torchscript)(module, trace_inputs)
    return data, max_abs_diff(module, fmt, data, example_inputs(module, batch + 1, seed=1))


def _require(name: str) -> Any:
    """Import an optional dependency of the ``export`` extra, or say how to install it."""
    try:
        return __import__(name)
    except ImportError as err:
        raise ImportError(f"ONNX export needs {name} ({EXTRA_HINT})") from err


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence torch.jit's deprecation notices and the tracer's note on timm's input-size assert
    (the input size is fixed by the model config; the batch axis stays dynamic)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        yield
