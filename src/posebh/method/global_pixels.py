"""Pixel-prototype terms of every dataset of a batch at once (Eq. 2-6 and the negatives).

The same maths as ``prototype_learning.prototype_loss`` and ``negatives.negatives_loss`` called
once per dataset, with global keypoint indices (dataset d's keypoint k is bank row
``offset[d] + k``): one foreground selection, one Sinkhorn over every (dataset, keypoint) class,
one momentum update and one negatives pass. Only the similarity logits stay per dataset (one
matmul each against that dataset's own prototypes: the softmax of Eq. 5 runs over them only).
Pixels are kept in the per-dataset reference order (dataset, row, y, x), so the classes see
their pixels in the same order as the per-dataset path.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import torch

from posebh.losses import joints_mse
from posebh.method.negatives import cluster_targets
from posebh.method.prototype_learning import confidence, similarity
from posebh.method.prototypes import PrototypeBank
from posebh.method.sinkhorn import sinkhorn_grouped


@dataclass
class GlobalPixels:
    """Foreground pixels of all datasets, grouped by dataset in the reference order."""

    emb: torch.Tensor    # (N, F) unit-norm embeddings
    cls: torch.Tensor    # (N,) global keypoint index (bank row)
    conf: torch.Tensor   # (N,) GT heatmap value c_n
    bounds: list[int]    # (D + 1,) pixels of dataset d are [bounds[d], bounds[d + 1])


@dataclass
class KeypointIndex:
    """Global keypoint layout of the bank: per-dataset offsets and sizes, owner of every row."""

    offsets: torch.Tensor  # (D,) long
    sizes: torch.Tensor    # (D,) long
    dataset: torch.Tensor  # (J,) long, the dataset of every bank row

    @classmethod
    def build(cls, sizes: list[int], device: torch.device) -> KeypointIndex:
        s = torch.tensor(sizes, dtype=torch.long, device=device)
        offsets = torch.cumsum(s, 0) - s
        return cls(offsets, s, torch.repeat_interleave(torch.arange(len(sizes), device=device), s))


def dataset_rows(didx: torch.Tensor, num_datasets: int) -> list[slice | torch.Tensor | None]:
    """Each dataset's rows of a batch: a slice when the rows are grouped by dataset (the trainer's
    batches), else a (B_d,) index; None for a dataset absent from the batch (read with ``take``)."""
    counts = torch.bincount(didx, minlength=num_datasets).tolist()
    if didx.numel() < 2 or bool((didx[1:] >= didx[:-1]).all()):
        starts = [sum(counts[:d]) for d in range(num_datasets)]
        return [slice(s, s + n) if n else None for s, n in zip(starts, counts)]
    return [(didx == d).nonzero(as_tuple=True)[0] if n else None for d, n in enumerate(counts)]


def take(x: torch.Tensor, rows: slice | torch.Tensor) -> torch.Tensor:
    """Rows of x: a view for a slice, else ``index_select`` (whose backward is one index_add,
    not the accumulating index_put of boolean-mask indexing)."""
    return x[rows] if isinstance(rows, slice) else x.index_select(0, rows)


def group_by_dataset(ds: torch.Tensor, num_datasets: int) -> tuple[torch.Tensor | None, list[int]]:
    """Stable permutation sorting ``ds`` (N,) (None when already sorted) and the group bounds."""
    order = None
    if ds.numel() > 1 and not bool((ds[1:] >= ds[:-1]).all()):
        order = torch.argsort(ds, stable=True)
    counts = torch.bincount(ds, minlength=num_datasets)
    return order, [0] + torch.cumsum(counts, 0).tolist()


def dense_heatmaps(emb: torch.Tensor, protos: torch.Tensor, mode: str = "cos") -> torch.Tensor:
    """``PrototypeBank.heatmaps`` as one batched matmul: emb (B, F, h, w), protos (K, M, F)
    -> (B, K, h, w) max over the M prototypes of cos (or |cos|)."""
    b, _, h, w = emb.shape
    k, m, _ = protos.shape
    s = torch.matmul(protos.flatten(0, 1).to(emb.dtype), emb.flatten(2))  # (B, K * M, hw)
    s = s.view(b, k, m, h, w)
    return (s.abs() if mode == "abs" else s).amax(dim=2)


def foreground_all(emb: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                   didx: torch.Tensor, index: KeypointIndex, threshold: float = 0.0,
                   shared: bool = False) -> GlobalPixels:
    """``foreground_pixels`` of every dataset's rows at once (``shared``: ties shared, as there).

    emb: (B, F, h, w); target: (B, Kmax, h, w); weight: (B, Kmax); didx: (B,). The class
    arg-max runs per dataset over its own K_d channels (as the per-dataset path); the pixel
    gather is one pass.
    """
    b, kmax, h, w = target.shape
    conf = target.new_zeros(b, h, w)
    cls = torch.zeros(b, h, w, dtype=torch.long, device=target.device)
    member = torch.zeros(b, h, w, kmax, dtype=torch.bool, device=target.device) if shared else None
    for d, rows in enumerate(dataset_rows(didx, len(index.sizes))):  # each row's own K_d channels
        if rows is not None:
            k = int(index.sizes[d])
            t = take(target, rows)[:, :k] * (take(weight, rows)[:, :k] > 0).to(target.dtype)[
                :, :, None, None]
            conf[rows], cls[rows] = t.max(dim=1)  # (B_d, h, w)
            if member is not None:
                member[rows, :, :, :k] = (t == conf[rows][:, None]).permute(0, 2, 3, 1)
    fg = conf > threshold
    if member is None:
        flat = fg.flatten().nonzero(as_tuple=True)[0]  # (N,) row-major, like the per-dataset path
        local = cls.flatten()[flat]
    else:  # (pixel, keypoint) pairs in (row, y, x, k) order
        flat, local = (member & fg[..., None]).flatten(0, 2).nonzero(as_tuple=True)
    ds = didx[torch.div(flat, h * w, rounding_mode="floor")]
    pixels = emb.permute(0, 2, 3, 1).reshape(-1, emb.shape[1]).index_select(0, flat)  # (N, F)
    gcls, c = index.offsets[ds] + local, conf.flatten()[flat]
    order, bounds = group_by_dataset(ds, len(index.sizes))
    if order is not None:
        pixels, gcls, c = pixels[order], gcls[order], c[order]
    return GlobalPixels(pixels, gcls, c, bounds)


def prototype_terms(bank: torch.Tensor, px: GlobalPixels, index: KeypointIndex, kappa: float,
                    iters: int, mode: str = "cos", store: PrototypeBank | None = None,
                    momentum: float | None = None, normalisation: str = "paper"
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum over datasets of ``prototype_loss`` (PPC, PPD: each dataset's mean over its pixels).

    bank: (J, M, F) this step's snapshot. With ``store`` and ``momentum``, Eq. 4 updates the
    rows of every class present in one pass (classes of different datasets never share a row).
    ``normalisation`` as ``prototype_loss``.
    """
    zero = px.emb.sum() * 0.0
    if px.emb.shape[0] == 0:
        return zero, zero
    m = bank.shape[1]
    lse, own, top = [], [], []
    for d, (s, e) in enumerate(zip(px.bounds[:-1], px.bounds[1:])):
        if e == s:
            continue
        off, k = int(index.offsets[d]), int(index.sizes[d])
        logits = similarity(px.emb[s:e], bank[off:off + k], mode)  # (N_d, K_d * M)
        lse.append(LogSumExp.apply(logits))
        with torch.no_grad():  # the class's own prototypes' logits, exactly as the reference
            mine = logits.view(e - s, k, m)[torch.arange(e - s, device=logits.device),
                                             px.cls[s:e] - off]
        own.append(mine)  # (N_d, M)
        top.append(mine.max().expand(e - s))  # the per-dataset Sinkhorn shift
    own_all = torch.cat(own)  # (N, M)
    q = sinkhorn_grouped(own_all, px.cls, kappa, iters, torch.cat(top))
    w, t = q.max(dim=1)
    if store is not None and momentum is not None:
        store.momentum_update_classes(0, px.cls, t, w, px.emb.detach(), momentum,
                                      normalise=normalisation == "released")
    pos = _positive_logit(px.emb, bank.flatten(0, 1)[px.cls * m + t], mode)  # (N,)
    scale = confidence(px.conf, normalisation) * _inverse_counts(px.bounds, pos)
    return (scale * (torch.cat(lse) - pos)).sum(), (scale * (1.0 - pos) ** 2).sum()


class LogSumExp(torch.autograd.Function):
    """``torch.logsumexp(x, dim=1)`` of (N, C) logits that keeps the softmax for the backward:
    one exp pass over the logits in all instead of one each way. Computed in float32 at least
    (as autocast runs ``logsumexp`` and ``cross_entropy``); the gradient has the input's dtype."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        ctx.dtype = x.dtype
        x = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        top = x.amax(dim=1, keepdim=True)  # (N, 1)
        p = (x - top).exp_()
        total = p.sum(dim=1, keepdim=True)
        ctx.save_for_backward(p.div_(total))  # softmax (N, C)
        return (total.log_() + top)[:, 0]

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:
        (p,) = ctx.saved_tensors
        return (p * grad[:, None]).to(ctx.dtype)


def _positive_logit(emb: torch.Tensor, proto: torch.Tensor, mode: str) -> torch.Tensor:
    """cos (or |cos|) of each pixel with its own positive prototype: emb, proto (N, F) -> (N,).

    The logit that Eq. 5-6 gather from the (N, C) logits, as a row-wise dot product: its
    gradient reaches the embeddings without an (N, C) scatter."""
    s = (emb * proto.to(emb.dtype)).sum(dim=1)
    return s.abs() if mode == "abs" else s


def _inverse_counts(bounds: list[int], like: torch.Tensor) -> torch.Tensor:
    """(N,) 1 / N_d of each pixel's dataset (each dataset's terms are means over its pixels)."""
    counts = torch.tensor([e - s for s, e in pairwise(bounds)], device=like.device)
    return (1.0 / counts.clamp_min(1).to(like.dtype)).repeat_interleave(counts)


def negatives_terms(clusters: torch.Tensor, owner: torch.Tensor, px: GlobalPixels,
                    mode: str = "cos", normalisation: str = "paper"
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum over datasets of ``negatives_loss``: every pixel against the cluster bank (K, M, F).

    ``released``: one mean over all datasets' pixels (the code pools them), unweighted by the
    GT confidence."""
    zero = px.emb.sum() * 0.0
    if px.emb.shape[0] == 0:
        return zero, zero
    k, m, _ = clusters.shape
    logits = similarity(px.emb, clusters, mode)  # (N, K * M)
    cluster = owner[px.cls]  # (N,)
    rows = torch.arange(len(cluster), device=cluster.device)
    member = logits.detach().view(-1, k, m)[rows, cluster].argmax(dim=1)
    pos = _positive_logit(px.emb, clusters.flatten(0, 1)[cluster * m + member], mode)
    if normalisation == "released":
        scale = torch.ones_like(pos) / len(pos)
    else:
        scale = px.conf * _inverse_counts(px.bounds, pos)
    ce = LogSumExp.apply(logits) - pos  # cross-entropy with the positive column
    return (scale * ce).sum(), (scale * (1.0 - pos) ** 2).sum()


def cluster_heatmap_term(emb: torch.Tensor, clusters: torch.Tensor, owner: torch.Tensor,
                         target: torch.Tensor, weight: torch.Tensor, didx: torch.Tensor,
                         index: KeypointIndex, mode: str = "cos") -> torch.Tensor:
    """The released code's cluster-heatmap MSE (unweighted): JointsMSE of the cluster heatmaps
    (B, K, h, w) of the whole batch against every row's GT moved to its clusters
    (``negatives.cluster_targets``). emb: (B, F, h, w); target: (B, Kmax, h, w); weight: (B, Kmax)."""
    b, _, h, w = emb.shape
    k = clusters.shape[0]
    t = target.new_zeros(b, k, h, w)
    wt = weight.new_zeros(b, k)
    for d, rows in enumerate(dataset_rows(didx, len(index.sizes))):
        if rows is not None:
            off, kd = int(index.offsets[d]), int(index.sizes[d])
            t[rows], wt[rows] = cluster_targets(take(target, rows)[:, :kd],
                                                take(weight, rows)[:, :kd], owner[off:off + kd], k)
    return joints_mse(dense_heatmaps(emb, clusters, mode), t, wt)
