"""Mechanism diagnostics of a PoseBH fine-tune, logged once per epoch (issue #12 item 3).

Counted over each epoch's training steps (``Probe`` hooks of the objective): CSS candidates and
kept joints per head x source dataset, GT foreground pixels per keypoint (cumulative). Measured at
the end of each epoch on ONE fixed diagnostic batch (the run's first training batch): each loss
term's weighted value and gradient norm on backbone / heads / embedding module, prototype- and
head-heatmap PCK (arg-max within 0.1 x the heatmap diagonal of the GT peak). Read from the
optimizer and the bank: the embedding module's Adam step in units of its lr, prototype drift.

The measurement cannot change training: buffers (bank, BN statistics, K-means clusters), the
RNG states and module modes are restored, ``.grad`` is never touched and the probe is muted while
the diagnostic batch is scored. History keys are flat (``grad/<term>/<module>``,
``css_kept/<head>/<source>``, ...), so dvclive logs each as ``train/<key>``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.distributed as dist

from posebh import skeletons
from posebh.method.diagnostic_measures import adam_step_ratio, drift, heatmap_pck, term_grad_norms
from posebh.method.global_pixels import dense_heatmaps
from posebh.method.objective import PoseBHObjective
from posebh.method.posebh_model import PoseBHModel

MODULES: tuple[str, ...] = ("backbone", "heads", "embed")
PCK_FRACTION = 0.1  # of the heatmap diagonal


class Diagnostics:
    """Probe of ``objective`` plus ``end_epoch(epoch, optimizer) -> history fields``."""

    def __init__(self, model: PoseBHModel, objective: PoseBHObjective,
                 autocast: Callable[[torch.device], contextlib.AbstractContextManager] | None = None
                 ) -> None:
        """``autocast(device)``: the training step's autocast (default none), so the diagnostic
        batch is scored as the steps are."""
        self.model, self.objective = model, objective
        self.autocast = autocast or (lambda device: contextlib.nullcontext())
        self.datasets = tuple(model.cfg.datasets)
        sizes = [skeletons.get(d).num_keypoints for d in self.datasets]
        self.owner = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))  # (J,)
        self.init = model.bank.prototypes.detach().clone()  # (J, M, F)
        self.last = self.init.clone()
        self.pixels = torch.zeros(len(self.owner), dtype=torch.long)  # (J,) cumulative
        d = len(self.datasets)
        self.candidates = torch.zeros(d * d, dtype=torch.long)  # head x source, this epoch
        self.kept = torch.zeros(d * d, dtype=torch.long)
        self.batch: dict[str, torch.Tensor] | None = None
        self._didx: torch.Tensor | None = None
        objective.probe = self

    # ------------------------------------------------------------------ probe (every step)
    def on_batch(self, batch: dict[str, torch.Tensor]) -> None:
        if self.batch is None:
            self.batch = {k: v.detach().clone() for k, v in batch.items() if torch.is_tensor(v)}
        self._didx = batch["dataset_idx"]

    def on_pixels(self, keypoints: torch.Tensor) -> None:
        counts = torch.bincount(keypoints.detach(), minlength=len(self.owner))
        self.pixels = self.pixels.to(counts.device) + counts

    def on_css(self, rows: torch.Tensor, keypoints: torch.Tensor, keep: torch.Tensor) -> None:
        assert self._didx is not None
        d = len(self.datasets)
        cell = self.owner.to(keypoints.device)[keypoints] * d + self._didx[rows]  # head * D + source
        self.candidates = self.candidates.to(cell.device) + torch.bincount(cell, minlength=d * d)
        self.kept = self.kept.to(cell.device) + torch.bincount(cell[keep], minlength=d * d)

    # ------------------------------------------------------------- end of every epoch
    def end_epoch(self, epoch: int, optimizer: torch.optim.Optimizer) -> dict[str, float]:
        """History fields of this epoch (counts reset; pixel counts stay cumulative)."""
        t0 = time.perf_counter()
        out: dict[str, float] = {}
        phase = self.objective.phase
        if phase is not None and phase.css:
            cand, kept = _summed(self.candidates), _summed(self.kept)
            out.update(css_cand_total=float(cand.sum()), css_kept_total=float(kept.sum()))
            for i, head in enumerate(self.datasets):
                for j, source in enumerate(self.datasets):
                    if i != j:
                        n = i * len(self.datasets) + j
                        out[f"css_cand/{head}/{source}"] = float(cand[n])
                        out[f"css_kept/{head}/{source}"] = float(kept[n])
        self.candidates, self.kept = torch.zeros_like(self.candidates), torch.zeros_like(self.kept)
        out["never_pixelled"] = float((_summed(self.pixels) == 0).sum())
        bank = self.model.bank.prototypes.detach()
        out["drift_init"] = float(drift(bank, self.init.to(bank.device)).mean())
        out["drift_epoch"] = float(drift(bank, self.last.to(bank.device)).mean())
        self.last = bank.clone()
        for name in MODULES:
            params = [p for p in getattr(self.model, name).parameters() if p.requires_grad]
            with_eps, without = adam_step_ratio(optimizer, params), adam_step_ratio(optimizer, params, 0.0)
            if with_eps is not None and without is not None:
                out[f"adam_step/{name}"], out[f"adam_rms/{name}"] = with_eps
                out[f"adam_step_noeps/{name}"] = without[0]
        if self.batch is not None:
            with self._untouched():
                out.update(self._measure(self.batch))
        out["diag_seconds"] = time.perf_counter() - t0
        return out

    def pixel_counts(self) -> list[int]:
        """GT foreground pixels each keypoint (bank order) received over the run (all ranks)."""
        return [int(x) for x in _summed(self.pixels).cpu()]

    def _measure(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """Weighted value and per-module gradient norm of each term; heatmap PCKs."""
        model = self.model
        device = next(model.parameters()).device
        with self.autocast(device):
            raw = self.objective(batch)
        raw = {k: v.float() for k, v in raw.items()}
        heads = [v for k, v in raw.items() if k.startswith("loss_")]
        terms = ({"mse": sum(heads)} if heads else {}) | {
            k: v for k, v in raw.items() if not k.startswith("loss_")}
        terms["total"] = sum(raw.values())
        out = {f"value/{k}": float(v.detach()) for k, v in terms.items()}
        modules = {m: [p for p in getattr(model, m).parameters() if p.requires_grad]
                   for m in MODULES}
        modules = {m: ps for m, ps in modules.items() if ps}
        for term, norms in term_grad_norms(terms, modules).items():
            out.update({f"grad/{term}/{m}": v for m, v in norms.items()})
        del raw, terms, heads
        out.update(self._pck(batch))
        return out

    @torch.no_grad()
    def _pck(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """Prototype- and head-heatmap PCK of each row's own labelled keypoints (eval mode)."""
        model = self.model
        model.eval()
        images, didx = batch["image"], batch["dataset_idx"]
        feats = model.backbone(images, didx)
        emb = model.embed(feats)
        heads = model.run_heads(feats, didx, True)
        bank = model.bank.prototypes
        hits = {"proto": [0, 0], "head": [0, 0]}
        for d, name in enumerate(self.datasets):
            rows = didx == d
            if not rows.any():
                continue
            k, off = skeletons.get(name).num_keypoints, model.offsets[name]
            t, w = batch["target"][rows, :k], batch["target_weight"][rows, :k]
            preds = {"proto": dense_heatmaps(emb[rows], bank[off:off + k], model.method.similarity),
                     "head": heads[name][rows].float()}
            for kind, pred in preds.items():
                c, n = heatmap_pck(pred, t, w, PCK_FRACTION)
                hits[kind][0] += c
                hits[kind][1] += n
        return {f"pck/{kind}": c / n for kind, (c, n) in hits.items() if n}

    @contextmanager
    def _untouched(self) -> Iterator[None]:
        """Restore buffers, RNG states and module modes; mute the probe."""
        model = self.model
        buffers = [b.detach().clone() for b in model.buffers()]
        modes = [m.training for m in model.modules()]
        cpu_rng = torch.get_rng_state()
        cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        probe, self.objective.probe = self.objective.probe, None
        try:
            yield
        finally:
            self.objective.probe = probe
            with torch.no_grad():
                for b, saved in zip(model.buffers(), buffers):
                    b.copy_(saved)
            for m, mode in zip(model.modules(), modes):
                m.training = mode
            torch.set_rng_state(cpu_rng)
            if cuda_rng is not None:
                torch.cuda.set_rng_state_all(cuda_rng)


def _summed(counts: torch.Tensor) -> torch.Tensor:
    """``counts`` summed over the ranks (a copy; the local counts stay as they are)."""
    if dist.is_available() and dist.is_initialized():
        counts = counts.clone()
        dist.all_reduce(counts)
    return counts
