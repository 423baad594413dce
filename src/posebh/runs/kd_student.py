"""The KD baseline's student (issue #17): the baseline with one head over the union skeleton,
trained with ``kd_loss`` against frozen single-dataset teachers; exported as a plain multi-head
checkpoint so the suite's evaluation reads it unchanged.

The union head is the UniDet variant's shared head (``models.merged.MergedHeads``: one
``HeatmapHead`` over U channels, a ``MergedView`` per dataset returning that dataset's keypoints
in its own order) with the channels of ``skeleton_union.build_union`` instead of the UniDet name
merge: it never merges across domains and it knows AIC's ``neck`` is MPII's ``upper_neck``.
Kept here rather than as a new ``model.label_space`` so that no other stage's code changes:
``student_checkpoint`` cuts the union head into per-dataset heads (head d = the shared
deconvolutions + d's rows of the final 1x1 conv, the same numbers), a ``per_dataset`` model.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from posebh import skeletons
from posebh.kd_loss import Teacher, kd_loss
from posebh.models.heads import HeatmapHead
from posebh.models.merged import MergedHeads, MergedView
from posebh.models.multihead import MultiHeadPose
from posebh.skeleton_union import UnionSkeleton
from posebh.zoo.checkpoint import to_checkpoint
from posebh.zoo.from_baseline import init_from_baseline


def union_heads(datasets: Sequence[str], union: UnionSkeleton, in_channels: int,
                channels: int) -> MergedHeads:
    """One shared head over ``union`` and a view per dataset (d's union channels, d's order)."""
    shared = HeatmapHead(in_channels, union.num_keypoints, channels)
    heads = MergedHeads({"_merged": shared})
    for d in datasets:
        heads[d] = MergedView(shared, list(union.index[d]))
    return heads


@torch.no_grad()
def _init_union_head(heads: MergedHeads, union: UnionSkeleton, datasets: Sequence[str],
                     state: Mapping[str, torch.Tensor]) -> None:
    """The first dataset head of the baseline as the union head: its deconvolutions, and its
    final-conv row for each union point it has (that head unchanged, so its dataset starts at
    the baseline); a point it lacks starts from the mean of the baseline rows that are that point.
    Those rows were trained on their own heads' deconvolutions, so such points are in effect
    learned anew. (The UniDet init averages every point's rows, the first head's included, which
    loses the first dataset too: COCO AP 1 instead of 25 before any step, on the embedded default.)
    """
    shared = heads["_merged"]
    first = f"heads.{datasets[0]}."
    shared.up.load_state_dict({k[len(first) + 3:]: v for k, v in state.items()
                               if k.startswith(first + "up.")})
    weight = torch.zeros_like(shared.final.weight)  # (U, C, 1, 1)
    bias = torch.zeros_like(shared.final.bias)
    count = torch.zeros(union.num_keypoints)
    for d in datasets[1:]:
        for k, c in enumerate(union.index[d]):
            weight[c] += state[f"heads.{d}.final.weight"][k]
            bias[c] += state[f"heads.{d}.final.bias"][k]
            count[c] += 1
    own = list(union.index[datasets[0]])
    weight[own] = state[first + "final.weight"]
    bias[own] = state[first + "final.bias"]
    count[own] = 1
    shared.final.weight.copy_(weight / count.clamp(min=1)[:, None, None, None])
    shared.final.bias.copy_(bias / count.clamp(min=1))


def student_from_baseline(baseline: dict, union: UnionSkeleton) -> MultiHeadPose:
    """The baseline (backbone with its experts) with its heads replaced by one union head."""
    net = init_from_baseline(baseline)
    datasets = tuple(net.cfg.datasets)
    missing = [d for d in datasets if d not in union.index]
    if missing:
        raise ValueError(f"kd student: the union skeleton lacks the baseline's datasets {missing}")
    net.heads = union_heads(datasets, union, net.cfg.embed_dim, net.cfg.head_channels)
    _init_union_head(net.heads, union, datasets, baseline["state_dict"])
    return net


def student_checkpoint(net: MultiHeadPose, union: UnionSkeleton, **extra: object) -> dict:
    """A ``per_dataset`` checkpoint of the student: head d = the shared deconvolutions and d's
    rows of the final conv, so ``heads[d]`` gives the union head's d channels; the union itself
    (names, index) travels in ``extra['union']``."""
    shared = {k: v.detach().clone() for k, v in net.heads["_merged"].state_dict().items()}
    state = {k: v for k, v in net.state_dict().items() if not k.startswith("heads.")}
    for d in net.cfg.datasets:
        rows = list(union.index[d])
        for key, value in shared.items():
            state[f"heads.{d}.{key}"] = value[rows].clone() if key.startswith("final.") else value
    plain = to_checkpoint(net)  # model_cfg (label_space per_dataset): what from_checkpoint builds
    return {**plain, "state_dict": state, "union": {"names": list(union.names),
            "index": {d: list(union.index[d]) for d in net.cfg.datasets}}, **extra}


class UnionTargets:
    """Batch targets of each row's own dataset moved onto the union channels.

    ``target`` (B, Kmax, h, w) and ``target_weight`` (B, Kmax) hold row r's keypoints of dataset
    ``datasets[dataset_idx[r]]`` in its order; the union target (B, U, h, w) has them on their
    union channels and 0 elsewhere, ``labelled`` (B, U) their target weight and 0 elsewhere (a
    gather, so deterministic)."""

    def __init__(self, datasets: Sequence[str], union: UnionSkeleton) -> None:
        inv = torch.full((len(datasets), union.num_keypoints), -1, dtype=torch.long)  # (D, U)
        for i, d in enumerate(datasets):
            for k, c in enumerate(union.index[d]):
                inv[i, c] = k
        self.inv = inv

    def __call__(self, target: torch.Tensor, weight: torch.Tensor, dataset_idx: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        b, kmax, h, w = target.shape
        inv = self.inv.to(target.device)[dataset_idx]  # (B, U): row's keypoint, -1 = none
        idx = torch.where(inv < 0, kmax, inv)  # the pad channel appended below
        padded = torch.cat([target, target.new_zeros(b, 1, h, w)], dim=1)
        pad_w = torch.cat([weight, weight.new_zeros(b, 1)], dim=1)
        union = padded.gather(1, idx[:, :, None, None].expand(-1, -1, h, w))  # (B, U, h, w)
        return union, pad_w.gather(1, idx)


@dataclass
class FrozenTeacher:
    """A trained single-dataset model, frozen, with the student rows it distils on."""

    name: str
    model: MultiHeadPose
    union_index: torch.Tensor  # (K_t,) long
    sees: torch.Tensor  # (D,) bool: which of the student's datasets' rows it runs on

    @classmethod
    def build(cls, name: str, model: MultiHeadPose, union: UnionSkeleton,
              datasets: Sequence[str], across_domains: bool) -> FrozenTeacher:
        """Frozen, in eval mode; it sees every row (``across_domains``) or those of the datasets
        of its own domain (the paper's two datasets are one domain; a human teacher's heatmaps on
        an animal image are no pseudo-label)."""
        if tuple(model.cfg.datasets) != (name,):
            raise ValueError(f"teacher {name!r}: expected a single-dataset model of {name}, "
                             f"got one of {model.cfg.datasets}")
        model.eval().requires_grad_(False)
        domain = skeletons.get(name).domain
        sees = torch.tensor([across_domains or skeletons.get(d).domain == domain for d in datasets])
        return cls(name, model, torch.tensor(union.index[name]), sees)


class KDObjective:
    """Eq. 8 on the union head: ``kd_loss`` with the batch's union targets and each teacher's
    heatmaps on the rows it sees (one forward per teacher per step, without gradient; none at
    α = 1). Returns the weighted terms ``ck`` and ``kd_<teacher>``, whose sum is the total."""

    def __init__(self, model: MultiHeadPose, union: UnionSkeleton,
                 teachers: Sequence[FrozenTeacher], betas: Mapping[str, float],
                 alpha: float) -> None:
        if not isinstance(model.heads, MergedHeads):
            raise TypeError("KDObjective: the model needs a union head (student_from_baseline)")
        self.model, self.alpha, self.betas = model, float(alpha), dict(betas)
        self.teachers = tuple(teachers) if self.alpha < 1 else ()
        self.targets = UnionTargets(tuple(model.cfg.datasets), union)
        self.cost: dict = {"steps": 0, "teacher_forwards": 0, "teacher_images": 0,
                           "teacher_seconds": 0.0,
                           "images_by_teacher": {t.name: 0 for t in self.teachers}}

    def start_epoch(self, epoch: int) -> dict:
        return {}

    def _teacher_maps(self, images: torch.Tensor, didx: torch.Tensor) -> list[Teacher]:
        out = []
        t0 = time.perf_counter()
        for t in self.teachers:
            rows = t.sees.to(didx.device)[didx]  # (B,) bool
            n = int(rows.sum())
            if n == 0:
                continue
            if next(t.model.parameters()).device != images.device:
                t.model.to(images.device)
            with torch.no_grad():
                zero = torch.zeros(n, dtype=torch.long, device=images.device)
                maps = t.model(images[rows], zero, only=t.name)[t.name].float()  # (n, K_t, h, w)
            out.append(Teacher(t.name, maps, t.union_index.to(images.device), rows))
            self.cost["teacher_forwards"] += 1
            self.cost["teacher_images"] += n
            self.cost["images_by_teacher"][t.name] += n
        if out and images.device.type == "cuda":
            torch.cuda.synchronize(images.device)
        self.cost["teacher_seconds"] += time.perf_counter() - t0
        return out

    def __call__(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        images, didx = batch["image"], batch["dataset_idx"]
        feats = self.model.backbone(images, didx)
        pred = self.model.heads["_merged"](feats).float()  # (B, U, h, w)
        target, labelled = self.targets(batch["target"], batch["target_weight"], didx)
        teachers = self._teacher_maps(images, didx) if self.teachers else []
        terms = kd_loss(pred, target, labelled, teachers, self.betas, self.alpha)
        self.cost["steps"] += 1
        out = {"ck": self.alpha * terms["ck"]}
        for t in teachers:
            out[f"kd_{t.name}"] = (1 - self.alpha) * self.betas[t.name] * terms[f"kd_{t.name}"]
        return out

    def after_step(self) -> None:
        pass
