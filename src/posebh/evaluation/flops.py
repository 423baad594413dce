"""GFLOPs of one evaluation-phase forward pass, as the paper's Table 1 reports them.

Convention: the number returned is **multiply-accumulates (MACs) / 1e9**, i.e. the
``torch.utils.flop_counter.FlopCounterMode`` total (which counts one multiply-add as 2 FLOPs)
divided by 2. mmcv's ``get_model_complexity_info`` (and fvcore) count one multiply-add as one
"FLOP", and the ViTPose / PoseBH papers report mmcv numbers (ViTPose-B at 256x192: 17.1 "GFLOPs").
Counted: linear layers, mm/bmm/einsum (incl. the ViTPose++ expert fc2), convolutions incl.
transposed ones. Not counted: norms, activations, softmax, additions, and the attention matmuls
(QK^T, AV) of fused ``scaled_dot_product_attention``. mmcv's module hooks do not see those either,
and FlopCounterMode has a formula only for some SDPA backends (CUDA flash/efficient/cuDNN, not the
CPU kernel), so they are dropped on every backend to keep the number device-independent. For ViT-B
at 256x192 they would add about 0.68 G (12 blocks x 2 x 192^2 x 768); fvcore counts them.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def gflops(
    model: nn.Module,
    input_size: tuple[int, int],
    dataset_idx: int = 0,
    head: str | None = "coco",
) -> float:
    """GMACs ("GFLOPs" in the paper's sense, = FlopCounterMode FLOPs / 2 / 1e9) of one forward pass.

    One (1, 3, H, W) input, ``model.eval()`` under ``torch.no_grad()``; ``model`` is a
    :class:`~posebh.models.multihead.MultiHeadPose` called as ``model(x, idx, only=head)``, so only
    the given head is counted (``head=None`` counts all heads). The model's train/eval mode is
    restored.
    """
    h, w = input_size
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    x = torch.zeros(1, 3, h, w, device=device, dtype=dtype)
    idx = torch.tensor([dataset_idx], dtype=torch.long, device=device)
    was_training = model.training
    model.eval()
    try:
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            model(x, idx, only=head)
    finally:
        model.train(was_training)
    counts = counter.get_flop_counts().get("Global", {})
    total = sum(n for op, n in counts.items() if "scaled_dot_product" not in str(op))
    return total / 2 / 1e9
