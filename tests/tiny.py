"""Tiny models and the one tiny keypoint dataset the training tests share (importable:
``pythonpath = ["tests"]``; tests/training/test_resume.py's subprocess script puts tests/ on
``sys.path`` itself).

Every draw is a pure function of (seed scheme, epoch, index): the bit-identical training, resume
and DDP-equality tests rely on the exact torch.Generator seeds and call order below.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

# 32x32 input, one block, two source datasets: the model of the training / method / DDP tests
TINY = dict(img_size=(32, 32), embed_dim=16, depth=1, num_heads=2, mlp_ratio=2.0,
            part_features=4, head_channels=8, datasets=("coco", "aic"))
# 64x48 input (16x12 heatmaps), every dataset by default; ``depth`` is set by each test
TINY_64 = dict(img_size=(64, 48), embed_dim=32, num_heads=2, mlp_ratio=2.0, part_features=8,
               head_channels=16)
METHOD = dict(embed_dim=8, num_clusters=6)  # PoseBH on TINY

STYLES = ("square", "spot", "blob")


class TinyKeypoints(torch.utils.data.Dataset):
    """Dataset ``idx`` of K keypoints on a 32x32 image with 8x8 heatmaps; ``set_epoch`` redraws.

    ``style``:
      * ``square``: K distinct inner cells (6x6, no border clipping) of the heatmap; keypoint j
        is a 4x4 square of intensity (j + 1) / K in image channel j % 3, its target a 3x3 blob
        (1 at the centre, 0.5 around).
      * ``spot``: K distinct cells of the whole 8x8 heatmap with a random confidence v in
        [0.5, 1]: a square of intensity v in channel j % 3, a one-pixel target v. Every sample
        has exactly K foreground pixels.
      * ``blob``: one bright square (all channels) whose centre is the one-pixel target of every
        keypoint.
    ``unlabelled``: each keypoint is unlabelled (target weight 0) with this probability, drawn
    after the image; 0 labels them all and draws nothing.
    ``seed``: ``dataset`` seeds sample i with 10000 * idx + 1000 * epoch + i, ``epoch`` with
    1000 * epoch + i (every dataset draws the same layouts).
    """

    def __init__(self, idx: int, k: int, n: int = 8, style: str = "square",
                 unlabelled: float = 0.0, seed: str = "dataset") -> None:
        if style not in STYLES or seed not in ("dataset", "epoch"):
            raise ValueError(f"style {style!r} / seed {seed!r}")
        self.idx, self.k, self.n, self.epoch = idx, k, n, 0
        self.style, self.unlabelled, self.seed = style, unlabelled, seed

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        base = 10_000 * self.idx if self.seed == "dataset" else 0
        g = torch.Generator().manual_seed(base + 1000 * self.epoch + i)
        img = torch.zeros(3, 32, 32)
        target = torch.zeros(17, 8, 8)
        if self.style == "square":
            cells = torch.randperm(36, generator=g)[: self.k]
            ys, xs = cells // 6 + 1, cells % 6 + 1
            for j, (y, x) in enumerate(zip(ys.tolist(), xs.tolist())):
                img[j % 3, 4 * y:4 * y + 4, 4 * x:4 * x + 4] += (j + 1) / self.k
                target[j, y - 1:y + 2, x - 1:x + 2] = 0.5
                target[j, y, x] = 1.0
        elif self.style == "spot":
            cells = torch.randperm(64, generator=g)[: self.k]
            conf = 0.5 + 0.5 * torch.rand(self.k, generator=g)
            for j, (c, v) in enumerate(zip(cells.tolist(), conf.tolist())):
                y, x = divmod(c, 8)
                img[j % 3, 4 * y:4 * y + 4, 4 * x:4 * x + 4] += v
                target[j, y, x] = v
        else:
            y, x = torch.randint(2, 6, (2,), generator=g).tolist()
            img[:, 4 * y:4 * y + 4, 4 * x:4 * x + 4] = 1
            target[: self.k, y, x] = 1
        weight = torch.zeros(17)
        if self.unlabelled:
            weight[: self.k] = (torch.rand(self.k, generator=g) > self.unlabelled).float()
        else:
            weight[: self.k] = 1.0
        return {"image": img, "target": target, "target_weight": weight,
                "dataset_idx": torch.tensor(self.idx)}


def first_batch(ds: torch.utils.data.Dataset, n: int) -> dict[str, torch.Tensor]:
    """The first ``n`` samples of ``ds`` collated."""
    return torch.utils.data.default_collate([ds[i] for i in range(n)])


@contextmanager
def kept_num_threads() -> Iterator[None]:
    """Restore torch's thread count (training sets ``num_threads``; pytest's process is shared)."""
    threads = torch.get_num_threads()
    try:
        yield
    finally:
        torch.set_num_threads(threads)
