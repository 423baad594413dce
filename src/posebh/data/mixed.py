"""The multi-dataset training set: one index space over several ``TopDownDataset``s whose
batches are rendered together (``posebh.data.batched``) instead of sample by sample.

``DataLoader`` hands a whole batch of keys to ``__getitems__`` and passes the result through
``collate``. A key is ``(epoch, index)`` (``EpochKeys`` over the sampler) so worker processes,
persistent ones included, draw the augmentation of the epoch the sampler is in; a plain index
uses the datasets' ``set_epoch``. ``group_rows`` orders a batch by dataset (stable), so each
head of a model reads a contiguous slice; a batch is a set of samples, the order is the only
change. ``fast=False`` is the reference path: per-sample ``__getitem__`` and ``default_collate``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler, default_collate

from posebh.data.batched import crop_batch, generate_targets
from posebh.data.dataset import TopDownDataset

Key = int | tuple[int, int]


class EpochKeys(Sampler):
    """Yields ``(epoch, index)`` for every index of ``sampler`` (which has ``set_epoch``)."""

    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self.sampler.set_epoch(epoch)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return ((self.epoch, int(i)) for i in self.sampler)

    def __len__(self) -> int:
        return len(self.sampler)


def collate(batch: dict | list[dict]) -> dict:
    """``DataLoader`` collate_fn: a batch ``__getitems__`` already built passes through."""
    return batch if isinstance(batch, dict) else default_collate(batch)


class MixedDataset(Dataset):
    """Concatenated datasets (any with ``set_epoch``); batches are rendered together when every
    one is a ``TopDownDataset`` (then they must share input/heatmap size and sigma)."""

    def __init__(self, datasets: Sequence[Dataset], fast: bool = True,
                 group_rows: bool = False) -> None:
        self.datasets = list(datasets)
        first = self.datasets[0]
        fast = fast and all(isinstance(d, TopDownDataset) for d in self.datasets)
        for d in self.datasets[1:] if fast else ():
            same = (d.input_size, d.heatmap_size, d.sigma, d.drop_outside, d.max_keypoints)
            if same != (first.input_size, first.heatmap_size, first.sigma, first.drop_outside,
                        first.max_keypoints):
                raise ValueError(f"{d.dataset}: input/heatmap size, sigma or max_keypoints "
                                 f"differ from {first.dataset}'s; they cannot share a batch")
        self.ends = np.cumsum([len(d) for d in self.datasets]).tolist()
        self.fast, self.group_rows = bool(fast), bool(group_rows)

    def __len__(self) -> int:
        return self.ends[-1] if self.ends else 0

    def locate(self, index: int) -> tuple[int, int]:
        """(dataset position, index within it) of a global index."""
        d = bisect.bisect_right(self.ends, index)
        return d, index - (self.ends[d - 1] if d else 0)

    def __getitem__(self, key: Key) -> dict:
        epoch, index = key if isinstance(key, tuple) else (None, key)
        d, i = self.locate(int(index))
        ds = self.datasets[d]
        if epoch is not None:
            ds.set_epoch(epoch)
        return ds[i]

    def __getitems__(self, keys: Sequence[Key]) -> dict | list[dict]:
        rows = [self.locate(int(k[1] if isinstance(k, tuple) else k)) + (k,) for k in keys]
        if self.group_rows:
            rows.sort(key=lambda r: r[0])  # stable: sampler order within a dataset
        if not self.fast:
            return [self[k] for _, _, k in rows]
        return self.render([(self.datasets[d], i, k) for d, i, k in rows])

    def render(self, rows: Sequence[tuple[TopDownDataset, int, Key]]) -> dict:
        """One batch through ``batched``: (B, 3, H, W) images, (B, Kmax, h, w) targets, meta."""
        first = self.datasets[0]
        kmax = first.max_keypoints
        geo = [ds.geometry(i, k[0] if isinstance(k, tuple) else None) for ds, i, k in rows]
        b = len(rows)
        joints = np.zeros((b, kmax, 2))
        visible = np.zeros((b, kmax))
        weights = np.ones((b, kmax)) if any(ds.joint_weights is not None for ds, _, _ in rows) \
            else None
        for r, ((ds, _, _), g) in enumerate(zip(rows, geo)):
            joints[r, : ds.num_keypoints] = g.joints
            visible[r, : ds.num_keypoints] = g.visible
            if weights is not None and ds.joint_weights is not None:
                weights[r, : ds.num_keypoints] = ds.joint_weights
        udp = np.array([ds.udp for ds, _, _ in rows])
        target, weight = generate_targets(joints, visible, udp, first.input_size,
                                          first.heatmap_size, first.sigma, weights,
                                          first.drop_outside)
        images = [ds.load_image(ds.samples[i]["path"]) for ds, i, _ in rows]
        crops = crop_batch(images, np.stack([g.image_matrix for g in geo]), first.input_size)
        crops.mul_(torch.from_numpy(first._mul)).sub_(torch.from_numpy(first._sub))
        meta = default_collate([ds.meta(i, g) for (ds, i, _), g in zip(rows, geo)])
        return {"image": crops, "target": torch.from_numpy(target),
                "target_weight": torch.from_numpy(weight), **meta}
