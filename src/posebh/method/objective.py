"""The PoseBH training loss L_MDT = L_KPL + L_CSS (Eq. 8-10), one batch at a time."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.distributed as dist

from posebh import skeletons
from posebh.losses import joints_mse, multihead_mse
from posebh.method.config import MethodConfig
from posebh.method.css import reliable_joints, render_gaussians
from posebh.method.global_css import css_all
from posebh.method.global_pixels import (
    KeypointIndex,
    cluster_heatmap_term,
    dataset_rows,
    dense_heatmaps,
    foreground_all,
    negatives_terms,
    prototype_terms,
    take,
)
from posebh.method.negatives import cluster_prototypes, cluster_targets, negatives_loss
from posebh.method.phases import Phase, apply_phase, phase_at
from posebh.method.posebh_model import PoseBHModel
from posebh.method.probe import Probe
from posebh.method.prototype_learning import PixelSamples, foreground_pixels, prototype_loss


class PoseBHObjective:
    """Weighted loss terms of one batch under the current phase; also runs the phase hooks.

    ``schedule`` maps an epoch to its Phase (default: the three-phase MDT schedule; transfer
    uses ``phases.transfer_phase_at``).

    Terms (each already weighted; the trainer sums them): ``loss_<dataset>`` (JointsMSE of the
    heads, weight 1), ``phm`` (alpha x prototype-heatmap MSE), ``ppc`` (beta), ``ppd`` (gamma),
    ``neg`` (delta x (beta PPC + gamma PPD) on the K-means cluster bank: the same Eq. 5-6
    machinery at cluster level, as the released code weights it), ``css`` (zeta x Eq. 8).

    ``fast`` (default) computes the prototype terms, negatives and CSS of all datasets at once
    (``global_pixels``, ``global_css``); ``fast=False`` keeps the per-dataset reference loop.
    Both give the same terms, gradients and bank updates (up to summation order; tests pin it).
    ``cfg.normalisation`` picks the paper's or the released code's five normalisations
    (docs/method.md). The embedding module and every prototype term run in float32 with
    autocast off (under AMP the heatmaps, logits and Sinkhorn would otherwise be half precision).
    """

    def __init__(self, model: PoseBHModel, cfg: MethodConfig, epochs: int,
                 heads_on_full_batch: bool, seed: int = 0,
                 schedule: Callable[[int], Phase] | None = None, fast: bool = True) -> None:
        self.model, self.cfg, self.epochs, self.fast = model, cfg, epochs, fast
        self.full_batch = heads_on_full_batch
        self.seed = seed
        self.schedule = schedule or (lambda epoch: phase_at(
            epoch, epochs, cfg.phases, cfg.negatives, cfg.css, cfg.css_start))
        self.phase: Phase | None = None
        self.sizes = {d: skeletons.get(d).num_keypoints for d in model.cfg.datasets}
        self._kp_index: KeypointIndex | None = None
        self.probe: Probe | None = None  # diagnostics: counting hooks (fast path only)

    def start_epoch(self, epoch: int) -> dict:
        """Switch phase (freezing, K-means once when the prototypes freeze); return log fields."""
        c = self.cfg
        self.phase = self.schedule(epoch)
        apply_phase(self.model, self.phase)
        if self.phase.negatives and not self.model.clusters_ready:
            bank, owner = cluster_prototypes(self.model.bank.prototypes, c.num_clusters, self.seed)
            self.model.clusters.copy_(bank)
            self.model.cluster_owner.copy_(owner)
        return {"phase": self.phase.index, "css_on": int(self.phase.css)}

    def __call__(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        model, c, phase = self.model, self.cfg, self.phase
        assert phase is not None, "call start_epoch first"
        if self.probe is not None:
            self.probe.on_batch(batch)
        images, target = batch["image"], batch["target"]
        weight, didx = batch["target_weight"], batch["dataset_idx"]
        if phase.train_backbone:
            feats = model.backbone(images, didx)
        else:
            with torch.no_grad():
                feats = model.backbone(images, didx)
        with torch.autocast(feats.device.type, enabled=False):  # prototype module in fp32
            emb = model.embed(feats.float())  # (B, F, h, w)
        bank = model.bank.prototypes.detach().clone()  # this step's P; updates go to the buffer
        order = tuple(model.cfg.datasets)
        terms: dict[str, torch.Tensor] = {}
        heads: dict[str, torch.Tensor] = {}
        if phase.train_heads:
            heads = model.run_heads(feats, didx, phase.css or self.full_batch)
            terms.update({f"loss_{k}": v for k, v in
                          multihead_mse(heads, target, weight, didx, order).items()})
        terms_of = self._fast_terms if self.fast else self._reference_terms
        with torch.autocast(emb.device.type, enabled=False):
            phm, ppc, ppd, neg, css = terms_of(emb, bank, target.float(), weight.float(), didx,
                                               heads)
        terms.update(phm=c.alpha * phm, ppc=c.beta * ppc, ppd=c.gamma * ppd)
        if phase.negatives:
            terms["neg"] = c.delta * neg
        if phase.css:
            terms["css"] = c.zeta * css
        return terms

    def _fast_terms(self, emb: torch.Tensor, bank: torch.Tensor, target: torch.Tensor,
                    weight: torch.Tensor, didx: torch.Tensor, heads: dict[str, torch.Tensor]
                    ) -> tuple[torch.Tensor, ...]:
        """(phm, ppc, ppd, neg, css), unweighted, for all datasets at once (see the class doc)."""
        model, c, phase = self.model, self.cfg, self.phase
        assert phase is not None
        order, b = tuple(model.cfg.datasets), emb.shape[0]
        index = self._index(emb.device)
        zero = emb.sum() * 0.0
        phm, neg, css = zero, zero, zero
        released = c.normalisation == "released"
        for d, rows in enumerate(dataset_rows(didx, len(order))):  # one einsum per dataset
            if rows is None:
                continue
            k, off = self.sizes[order[d]], model.offsets[order[d]]
            e, t, w = take(emb, rows), take(target, rows)[:, :k], take(weight, rows)[:, :k]
            hm = dense_heatmaps(e, bank[off:off + k], c.similarity)  # (B_d, K_d, h, w)
            phm = phm + joints_mse(hm, t, w) * (1.0 if released else e.shape[0] / b)
        px = foreground_all(emb, target, weight, didx, index, c.fg_threshold, c.fg_shared)
        if self.probe is not None:
            self.probe.on_pixels(px.cls)
        ppc, ppd = prototype_terms(bank, px, index, c.kappa, c.sinkhorn_iters, c.similarity,
                                   model.bank, c.momentum if phase.update_prototypes else None,
                                   c.normalisation)
        if phase.negatives:
            a, p = negatives_terms(model.clusters, model.cluster_owner, px, c.similarity,
                                   c.normalisation)
            neg = c.beta * a + c.gamma * p
            if released:  # the code's cluster-heatmap MSE
                neg = neg + c.alpha * cluster_heatmap_term(
                    emb, model.clusters, model.cluster_owner, target, weight, didx, index,
                    c.similarity)
        if phase.css:
            css = css_all({n: heads[n] for n in order}, emb, bank, didx, index, c,
                          None if self.probe is None else self.probe.on_css)
        return phm, ppc, ppd, neg, css

    def _index(self, device: torch.device) -> KeypointIndex:
        """The bank's global keypoint layout on ``device`` (built once per device)."""
        if self._kp_index is None or self._kp_index.sizes.device != device:
            sizes = [self.sizes[n] for n in self.model.cfg.datasets]
            self._kp_index = KeypointIndex.build(sizes, device)
        return self._kp_index

    def _reference_terms(self, emb: torch.Tensor, bank: torch.Tensor, target: torch.Tensor,
                         weight: torch.Tensor, didx: torch.Tensor, heads: dict[str, torch.Tensor]
                         ) -> tuple[torch.Tensor, ...]:
        """(phm, ppc, ppd, neg, css), unweighted: the faithful per-dataset loop."""
        model, c, phase = self.model, self.cfg, self.phase
        assert phase is not None
        order, b = tuple(model.cfg.datasets), emb.shape[0]
        zero = emb.sum() * 0.0
        phm, ppc, ppd, neg, css = zero, zero, zero, zero, zero
        released, pooled = c.normalisation == "released", []
        for d, name in enumerate(order):
            rows = didx == d
            k, off = self.sizes[name], model.offsets[name]
            if phase.css:  # head d on the other datasets' rows, whether or not d is in the batch
                css = css + self._css(heads[name], emb, bank, ~rows, off, k, b)
            if not rows.any():
                continue
            t, w = target[rows, :k], weight[rows, :k]
            e = emb[rows]
            phm = phm + joints_mse(model.bank.heatmaps(e, slice(off, off + k), bank), t, w) * (
                1.0 if released else rows.sum() / b)
            px = foreground_pixels(e, t, w, c.fg_threshold, c.fg_shared)
            a, p = prototype_loss(bank[off:off + k], px, c.kappa, c.sinkhorn_iters, c.similarity,
                                  model.bank, off, c.momentum if phase.update_prototypes else None,
                                  c.normalisation)
            ppc, ppd = ppc + a, ppd + p
            if phase.negatives and not released:
                a, p = negatives_loss(model.clusters, model.cluster_owner, px, off, c.similarity)
                neg = neg + c.beta * a + c.gamma * p
            elif phase.negatives:  # the code pools all datasets' pixels; cluster-heatmap MSE
                pooled.append(PixelSamples(px.emb, px.cls + off, px.conf))
                ct, cw = cluster_targets(t, w, model.cluster_owner[off:off + k],
                                         model.clusters.shape[0])
                s = torch.einsum("bfhw,kmf->bkmhw", e, model.clusters.to(e.dtype))
                s = (s.abs() if c.similarity == "abs" else s).amax(dim=2)  # (B_d, K, h, w)
                neg = neg + c.alpha * joints_mse(s, ct, cw) * (rows.sum() / b)
        if pooled:
            px = PixelSamples(*(torch.cat(x) for x in zip(*(
                (q.emb, q.cls, q.conf) for q in pooled))))
            a, p = negatives_loss(model.clusters, model.cluster_owner, px, 0, c.similarity,
                                  c.normalisation)
            neg = neg + c.beta * a + c.gamma * p
        return phm, ppc, ppd, neg, css

    def _css(self, head: torch.Tensor, emb: torch.Tensor, bank: torch.Tensor,
             unlabelled: torch.Tensor, off: int, k: int, batch: int) -> torch.Tensor:
        """Eq. 8 for one dataset d: L_hm + L_Proto on reliable heatmaps of the unlabelled rows.

        Works on the kept (row, joint) pairs only; equal to the dense JointsMSE over (B, K) with
        zero weight elsewhere. head: (B, K, h, w) head-d heatmaps (with grad); emb: (B, F, h, w).
        """
        c, model = self.cfg, self.model
        rows = unlabelled.nonzero(as_tuple=True)[0]
        if len(rows) == 0:  # every row is labelled for d: nothing to supervise
            return emb.sum() * 0.0
        with torch.no_grad():
            kp = model.bank.heatmaps(emb[rows], slice(off, off + k), bank)  # (U, K, h, w)
        keep, fused, weight = reliable_joints(head[rows], kp, c.css_conf_thr, c.css_dist_thr)
        r, j = keep.nonzero(as_tuple=True)  # kept pairs: row in `rows`, local joint
        if len(r) == 0:
            return emb.sum() * 0.0
        h, w = head.shape[-2:]
        target = render_gaussians(fused[r, j][None], (h, w))[0]  # (P, h, w)
        wt = weight[r, j]  # (P,)
        b_idx = rows[r]
        # JointsMSE: mean over the rows and pixels, then over the K joints; the rows are the
        # batch (paper) or the instances that kept a joint (released code)
        norm = (len(torch.unique(r)) if c.normalisation == "released" else batch) * k

        def mse(pred: torch.Tensor) -> torch.Tensor:  # pred (P, h, w)
            return ((pred - target) ** 2 * wt[:, None, None] ** 2).mean(dim=(1, 2)).sum() / norm

        e = emb.flatten(2)  # (B, F, hw)
        kp_pairs = self._pair_heatmaps(e, bank, b_idx, off + j, r)  # (P, hw)
        loss = mse(head[b_idx, j]) + c.alpha * mse(kp_pairs.view(-1, h, w))
        fg = (target > c.fg_threshold) & (wt[:, None, None] > 0)
        p, y, x = fg.nonzero(as_tuple=True)
        pixels = PixelSamples(emb.permute(0, 2, 3, 1)[b_idx[p], y, x], j[p], target[p, y, x])
        a, q = prototype_loss(bank[off:off + k], pixels, c.kappa, c.sinkhorn_iters, c.similarity,
                              normalisation=c.normalisation)
        return loss + c.beta * a + c.gamma * q

    def _pair_heatmaps(self, e: torch.Tensor, bank: torch.Tensor, b_idx: torch.Tensor,
                       g_idx: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        """Prototype heatmaps of (row, global keypoint) pairs, one einsum per row. -> (P, hw)."""
        out = []
        for ri in torch.unique_consecutive(r).tolist():
            sel = (r == ri).nonzero(as_tuple=True)[0]
            s = torch.einsum("fx,jmf->jmx", e[b_idx[sel[0]]], bank[g_idx[sel]].to(e.dtype))
            out.append(s.abs().amax(1) if self.cfg.similarity == "abs" else s.amax(1))
        return torch.cat(out)

    def after_step(self) -> None:
        """Average the prototype bank across ranks while it is being updated (as the code does)."""
        if self.phase is not None and self.phase.update_prototypes and dist.is_available() \
                and dist.is_initialized():
            bank = self.model.bank.prototypes
            dist.all_reduce(bank)
            bank.div_(dist.get_world_size())
            bank.copy_(torch.nn.functional.normalize(bank, dim=-1))

