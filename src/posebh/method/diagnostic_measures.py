"""Mechanism measures of a training run (pure functions): per-term gradient norms, Adam's step in
units of the learning rate, prototype drift, and heatmap PCK against the GT targets."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch


def term_grad_norms(terms: Mapping[str, torch.Tensor],
                    modules: Mapping[str, Sequence[torch.Tensor]]) -> dict[str, dict[str, float]]:
    """L2 norm of each term's gradient on each module's parameters: {term: {module: norm}}.

    One ``torch.autograd.grad`` per term (the graph is kept, ``.grad`` is never touched); a term
    without a graph is left out; a parameter the term does not reach counts 0.
    """
    params = [p for ps in modules.values() for p in ps]
    bounds, start = {}, 0
    for name, ps in modules.items():
        bounds[name] = (start, start + len(ps))
        start += len(ps)
    out: dict[str, dict[str, float]] = {}
    for term, value in terms.items():
        if not value.requires_grad or not params:
            continue
        grads = torch.autograd.grad(value, params, retain_graph=True, allow_unused=True)
        sq = [0.0 if g is None else float(g.detach().float().pow(2).sum()) for g in grads]
        out[term] = {m: math.sqrt(sum(sq[s:e])) for m, (s, e) in bounds.items()}
    return out


def adam_step_ratio(optimizer: torch.optim.Optimizer, params: Sequence[torch.Tensor],
                    eps: float | None = None) -> tuple[float, float] | None:
    """(mean |m_hat / (sqrt(v_hat) + eps)|, mean sqrt(v_hat)) over ``params``' elements.

    The first is the size of Adam's last step in units of the group's learning rate (1 =
    full-rate; weight decay aside); ``eps`` None = each group's own, 0 = without it, so the
    ratio of the two is the share of the step that Adam's eps leaves. None when no parameter
    has Adam state yet.
    """
    wanted = {id(p) for p in params}
    total, rms, count = 0.0, 0.0, 0
    for group in optimizer.param_groups:
        b1, b2 = group["betas"]
        e = group["eps"] if eps is None else eps
        for p in group["params"]:
            state = optimizer.state.get(p, {})
            if id(p) not in wanted or "exp_avg" not in state:
                continue
            t = float(state["step"])
            m = state["exp_avg"].float() / (1 - b1 ** t)
            v = (state["exp_avg_sq"].float() / (1 - b2 ** t)).sqrt()
            total += float((m.abs() / (v + e)).sum())
            rms += float(v.sum())
            count += m.numel()
    return None if count == 0 else (total / count, rms / count)


def drift(bank: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """1 - cos of each prototype to its reference: (J, M, F) unit-norm banks -> (J, M)."""
    return 1.0 - (bank.float() * reference.float()).sum(dim=-1)


def peak_xy(heatmaps: torch.Tensor) -> torch.Tensor:
    """Integer arg-max (x, y) of each heatmap: (..., h, w) -> (..., 2)."""
    w = heatmaps.shape[-1]
    idx = heatmaps.flatten(-2).argmax(dim=-1)
    return torch.stack([idx % w, torch.div(idx, w, rounding_mode="floor")], dim=-1)


def heatmap_pck(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                fraction: float = 0.1) -> tuple[int, int]:
    """(correct, labelled): arg-max of ``pred`` within ``fraction`` x the heatmap diagonal of the
    GT target's arg-max, over the labelled keypoints (weight > 0 and a non-zero target).

    pred, target: (B, K, h, w); weight: (B, K).
    """
    h, w = target.shape[-2:]
    labelled = (weight > 0) & (target.flatten(-2).amax(dim=-1) > 0)  # (B, K)
    dist = (peak_xy(pred) - peak_xy(target)).float().norm(dim=-1)  # (B, K)
    correct = (dist <= fraction * math.hypot(h, w)) & labelled
    return int(correct.sum()), int(labelled.sum())
