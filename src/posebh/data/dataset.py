"""``TopDownDataset``: one (GT-box) person/animal instance of a COCO-style keypoint dict per sample.

Pipeline (mmpose 0.x order): box -> center/scale (aspect ratio of the input, padding 1.25)
-> [train: random flip, random scale, random rotation] -> affine crop (UDP or plain, after the
dataset's skeleton) -> ImageNet normalisation -> Gaussian targets (UDP or MSRA, sigma) padded
to ``max_keypoints``.  Geometry conventions: see ``posebh.data.topdown`` (scale = crop size in
image pixels).  ``center``/``scale`` returned with a sample are in the original (unflipped)
image; ``flipped`` says whether the crop was mirrored.

Deterministic augmentation: sample ``i`` at epoch ``e`` draws from
``np.random.default_rng([seed, e, i])`` (``set_epoch``), independent of worker count / order.

Not implemented (differences from the ViTPose++ train pipeline): half-body transform (p 0.3)
and mmpose's load-time random box-centre jitter (p 0.3).  By default keypoints whose heatmap
peak leaves the crop get weight 0 (``drop_outside=True``; mmpose keeps them while any part of
the 13x13 Gaussian window overlaps the heatmap).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from posebh import skeletons
from posebh.data.targets import generate_target
from posebh.data.topdown import (
    box_to_center_scale,
    clean_bbox,
    compose,
    crop_image,
    flip_matrix,
    get_affine_matrix,
    merge_aug,
    sample_augmentation,
    transform_points,
)

@dataclass(frozen=True)
class Geometry:
    """One sample's crop: image -> crop matrix (2, 3), joints in crop pixels (K, 2), v (K,)."""

    image_matrix: np.ndarray
    joints: np.ndarray
    visible: np.ndarray
    center: np.ndarray
    scale: np.ndarray
    rotation: float
    flipped: bool


IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

# Per-dataset annotation fields holding (x, y, v) triplets, concatenated in this order.
KEYPOINT_FIELDS: dict[str, tuple[str, ...]] = {
    # 17 + 6 + 68 + 21 + 21 = 133
    "coco_wholebody": ("keypoints", "foot_kpts", "face_kpts", "lefthand_kpts", "righthand_kpts"),
}


def instance_keypoints(ann: Mapping, dataset: str) -> np.ndarray:
    """The instance's keypoints as ``(K, 3)`` float64 ``(x, y, v)``.

    COCO-WholeBody stores parts in separate fields; they are concatenated (body, foot, face,
    left hand, right hand -> 133) when the annotation has them (``foot_kpts`` present), else
    only ``keypoints`` is returned.
    """
    fields = KEYPOINT_FIELDS.get(dataset, ("keypoints",))
    if len(fields) > 1 and fields[1] not in ann:
        fields = fields[:1]
    parts = [np.asarray(ann.get(f, []), dtype=np.float64).reshape(-1, 3) for f in fields]
    return np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]


def _pad_keypoints(kps: np.ndarray, k: int, dataset: str, ann_id) -> np.ndarray:
    """Zero-pad (unlabelled) a multi-part annotation lacking some parts; else mismatch = error."""
    if kps.shape[0] == k:
        return kps
    if kps.shape[0] < k and len(KEYPOINT_FIELDS.get(dataset, ())) > 1:
        return np.concatenate([kps, np.zeros((k - kps.shape[0], 3))], axis=0)
    raise ValueError(f"annotation {ann_id} has {kps.shape[0]} keypoints, {dataset} expects {k}")


class TopDownDataset(torch.utils.data.Dataset):
    """Top-down crops + heatmap targets of one keypoint dataset (COCO format dict).

    Args:
        coco: COCO dict with ``images`` and ``annotations`` (``bbox`` xywh, ``keypoints`` ...).
        image_root: folder the images' ``file_name`` are relative to.
        dataset: skeleton name (``posebh.skeletons``); selects K, flip pairs, UDP, joint weights.
        dataset_idx: expert / head index returned with each sample.
        input_size, heatmap_size: (W, H).
        train: augment and keep annotations with labelled keypoints; eval keeps every non-crowd box.
        max_keypoints: pad targets to this many channels (ViTPose++ pads to 133).
        aug: overrides of ``posebh.data.topdown.DEFAULT_AUG``.
        use_joint_weights: multiply target weights by the skeleton's joint weights (ViTPose++: off).
        drop_outside: zero the weight of keypoints whose heatmap peak falls off the heatmap.
        eval_require_keypoints: eval keeps only boxes with labelled keypoints (what mmpose's
            GT-box loader does) instead of every non-crowd box.
        cache_images: keep decoded images in memory (dict path -> uint8 array).
    """

    def __init__(
        self,
        coco: dict,
        image_root: Path | str,
        dataset: str,
        dataset_idx: int,
        input_size: tuple[int, int] = (96, 128),
        heatmap_size: tuple[int, int] = (24, 32),
        sigma: float = 2.0,
        train: bool = True,
        seed: int = 0,
        max_keypoints: int | None = None,
        aug: dict | None = None,
        *,
        use_joint_weights: bool = False,
        drop_outside: bool = True,
        eval_require_keypoints: bool = False,
        cache_images: bool = True,
    ) -> None:
        self.image_root = Path(image_root)
        self.dataset = dataset
        self.dataset_idx = int(dataset_idx)
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.heatmap_size = (int(heatmap_size[0]), int(heatmap_size[1]))
        self.sigma = float(sigma)
        self.train = bool(train)
        self.seed = int(seed)
        self.epoch = 0
        self.aug = merge_aug(aug)
        self.drop_outside = bool(drop_outside)
        self.cache_images = bool(cache_images)
        self._cache: dict[str, np.ndarray] = {}

        sk = skeletons.get(dataset)
        self.skeleton = sk
        self.num_keypoints = sk.num_keypoints
        self.udp = sk.udp
        self.flip_index = sk.flip_index()
        self.joint_weights = (
            np.asarray(sk.joint_weights, dtype=np.float64) if use_joint_weights else None
        )
        self.max_keypoints = self.num_keypoints if max_keypoints is None else int(max_keypoints)
        if self.max_keypoints < self.num_keypoints:
            raise ValueError(
                f"max_keypoints={self.max_keypoints} < {self.num_keypoints} keypoints of {dataset}"
            )

        images = {img["id"]: img for img in coco.get("images", [])}
        aspect = self.input_size[0] / self.input_size[1]
        self.samples: list[dict] = []
        for ann in coco.get("annotations", []):
            if ann.get("iscrowd", 0):
                continue
            img = images.get(ann["image_id"])
            if img is None:
                continue
            kps = instance_keypoints(ann, dataset)
            kps = _pad_keypoints(kps, self.num_keypoints, dataset, ann.get("id"))
            labelled = int((kps[:, 2] > 0).sum())
            if (self.train or eval_require_keypoints) and labelled == 0:
                continue
            box = clean_bbox(ann["bbox"], img.get("width"), img.get("height"))
            if box is None:
                continue
            center, scale = box_to_center_scale(box, aspect, self.aug["bbox_padding"])
            self.samples.append(
                {
                    "path": str(self.image_root / img["file_name"]),
                    "image_id": int(ann["image_id"]),
                    "ann_id": int(ann.get("id", len(self.samples))),
                    "category_id": int(ann.get("category_id", 1)),
                    "bbox_score": float(ann.get("score", 1.0)),  # detector boxes carry a score
                    "img_w": img.get("width"),
                    "keypoints": kps,
                    "center": center,
                    "scale": scale,
                }
            )
        # precomputed normalisation: x * (1 / (255 std)) - mean / std
        self._mul = (1.0 / (255.0 * IMAGENET_STD)).astype(np.float32)[:, None, None]
        self._sub = (IMAGENET_MEAN / IMAGENET_STD).astype(np.float32)[:, None, None]

    def __len__(self) -> int:
        return len(self.samples)

    def set_epoch(self, epoch: int) -> None:
        """Select the augmentation stream of ``epoch`` (call before each training epoch)."""
        self.epoch = int(epoch)

    def load_image(self, path: str) -> np.ndarray:
        """RGB uint8 (H, W, 3), cached when ``cache_images``."""
        arr = self._cache.get(path)
        if arr is None:
            with Image.open(path) as im:
                arr = np.asarray(im.convert("RGB"))
            if self.cache_images:
                self._cache[path] = arr
        return arr

    def geometry(self, i: int, epoch: int | None = None) -> Geometry:
        """Sample ``i``'s augmentation draw and crop matrices (epoch: ``set_epoch``'s by default)."""
        s = self.samples[i]
        center, scale = s["center"], s["scale"]
        kps = s["keypoints"]
        rotation, flipped = 0.0, False
        if self.train:
            e = self.epoch if epoch is None else int(epoch)
            rng = np.random.default_rng([self.seed, e, int(i)])
            p = sample_augmentation(rng, self.aug)
            scale = scale * p.scale_factor
            rotation, flipped = p.rotation, p.flip

        m = get_affine_matrix(center, scale, rotation, self.input_size, self.udp)
        xy = kps[:, :2]
        vis = kps[:, 2]
        if flipped:
            # mmpose: flip the image (x -> w-1-x), the box centre and the joints, swap left/right
            img_w = s["img_w"] if s["img_w"] is not None else self.load_image(s["path"]).shape[1]
            f = flip_matrix(img_w)
            center_f = np.array([img_w - 1.0 - center[0], center[1]])
            m = get_affine_matrix(center_f, scale, rotation, self.input_size, self.udp)
            m_img = compose(m, f)  # original image -> crop of the flipped image
            xy = transform_points(xy, f)[self.flip_index]
            vis = vis[self.flip_index]
        else:
            m_img = m
        return Geometry(m_img, transform_points(xy, m), vis, center, scale, float(rotation),
                        bool(flipped))

    def meta(self, i: int, g: Geometry) -> dict:
        """The per-sample fields of a batch besides image and targets (default_collate types)."""
        s = self.samples[i]
        return {
            "dataset_idx": torch.tensor(self.dataset_idx, dtype=torch.int64),
            "center": torch.tensor(g.center, dtype=torch.float32),
            "scale": torch.tensor(g.scale, dtype=torch.float32),
            "rotation": g.rotation,
            "flipped": g.flipped,
            "image_id": s["image_id"],
            "ann_id": s["ann_id"],
            "category_id": s["category_id"],
            "bbox_score": s["bbox_score"],
            "num_keypoints": self.num_keypoints,
        }

    def __getitem__(self, i: int) -> dict:
        """The reference path: one sample, PIL crop, per-instance targets (see ``mixed`` for batches)."""
        g = self.geometry(i)
        crop = crop_image(self.load_image(self.samples[i]["path"]), g.image_matrix,
                          self.input_size)  # (H, W, 3) uint8
        img = np.ascontiguousarray(crop.transpose(2, 0, 1), dtype=np.float32)
        img *= self._mul
        img -= self._sub
        target, weight = generate_target(
            g.joints,
            g.visible,
            self.input_size,
            self.heatmap_size,
            sigma=self.sigma,
            udp=self.udp,
            joint_weights=self.joint_weights,
            drop_outside=self.drop_outside,
            max_keypoints=self.max_keypoints,
        )
        return {"image": torch.from_numpy(img), "target": torch.from_numpy(target),
                "target_weight": torch.from_numpy(weight), **self.meta(i, g)}
