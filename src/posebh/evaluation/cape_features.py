"""Frozen feature maps of CAPE instances: one top-down crop per instance, one backbone pass per
(model, category), every feature kind a matcher needs read off that pass.

* Crop: the instance's xywh box -> (center, scale) with the network's aspect ratio and the suite's
  eval padding (``data.topdown.box_to_center_scale``, 1.25), no rotation, no flip; ImageNet
  normalisation as ``data.dataset.TopDownDataset``. The crop and heat-map geometry follow the UDP
  flag of the expert's source skeleton (``skeletons.json``), as that source's own val crops do.
* Expert: the novel category's domain (its MP-100 ``supercategory``) picks a source dataset
  (``DOMAIN_EXPERTS``: human -> coco, animal -> ap10k, hand -> coco_wholebody), whose FFN expert the
  backbone routes through and whose head the ``head`` kind reads.
* Kinds (``FEATURE_KINDS``), all at heat-map resolution (B, C, 4h, 4w):
  ``embedding`` = PoseBH's ``net.embed(feats)`` (L2-normalised, PoseBH checkpoints only);
  ``head`` = ``net.heads[expert].up(feats)``, the head's deconv features before its 1x1 conv;
  ``backbone`` = the ViT tokens (B, C, h, w), bilinearly upsampled (align_corners False).
* ``to_heatmap[i]`` maps image px to instance i's heat-map px (pixel centres at integers), so a
  heat-map location maps back to the image with its inverse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from posebh import skeletons
from posebh.data.dataset import IMAGENET_MEAN, IMAGENET_STD
from posebh.data.errors import DataError
from posebh.data.jsonfile import read_json
from posebh.data.topdown import (
    box_to_center_scale,
    crop_image,
    get_affine_matrix,
    invert_affine,
    transform_points,
)
from posebh.evaluation.cape_episodes import CapeInstance
from posebh.models.multihead import MultiHeadPose

FEATURE_KINDS: tuple[str, ...] = ("embedding", "head", "backbone")
DOMAIN_EXPERTS: dict[str, str] = {"human": "coco", "animal": "ap10k", "hand": "coco_wholebody"}


@dataclass(frozen=True)
class CapeFeatures:
    """One category's feature maps of one kind: ``maps`` (N, C, H, W) float32 at heat-map
    resolution, ``to_heatmap`` (N, 2, 3) image px -> heat-map px of each instance's crop."""

    maps: torch.Tensor  # (N, C, H, W)
    to_heatmap: np.ndarray  # (N, 2, 3)

    def keypoints_on_map(self, keypoints: np.ndarray) -> np.ndarray:
        """(N, J, 2 or 3) image px -> (N, J, 2) heat-map px of each instance."""
        xy = np.asarray(keypoints, dtype=np.float64)[..., :2]
        return np.stack([transform_points(xy[i], m) for i, m in enumerate(self.to_heatmap)])

    def to_image(self, points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """(..., J, 2) heat-map px of instances ``rows`` (same leading shape) -> image px."""
        pts = np.asarray(points, dtype=np.float64)
        inv = np.stack([invert_affine(m) for m in self.to_heatmap])[np.asarray(rows)]  # (..., 2, 3)
        return np.einsum("...jk,...ik->...ji", pts, inv[..., :2]) + inv[..., None, :, 2]


def category_domains(path: str | Path) -> dict[str, str]:
    """Category name -> its ``supercategory`` ("" where absent) of an MP-100 annotation file."""
    doc = read_json(Path(path))
    cats = doc.get("categories") if isinstance(doc, dict) else None
    if not isinstance(cats, list):
        raise DataError(path, "'categories' must be a list of objects (COCO-style MP-100 file)")
    return {str(c.get("name")): str(c.get("supercategory") or "") for c in cats
            if isinstance(c, dict)}


def expert_source(domain: str, experts: Mapping[str, str] = DOMAIN_EXPERTS,
                  default: str | None = None) -> str:
    """The source dataset whose expert and head serve a category of ``domain``."""
    source = experts.get(domain, default)
    if source is None:
        raise ValueError(f"no expert for domain {domain!r}: known {sorted(experts)} and no default")
    return source


def head_features(net: MultiHeadPose, source: str, feats: torch.Tensor) -> torch.Tensor:
    """(B, C, h, w) -> (B, Ch, 4h, 4w): ``source``'s head before its final 1x1 conv (the merged
    label space's shared head where heads are merged views)."""
    head = net.heads[source]
    shared = getattr(head, "_shared", None)
    return (shared[0] if shared else head).up(feats)


def _kind_maps(net: MultiHeadPose, source: str, feats: torch.Tensor,
               kinds: Sequence[str]) -> dict[str, torch.Tensor]:
    """The requested kinds of one backbone output (B, C, h, w), each (B, C_k, 4h, 4w)."""
    size = (4 * feats.shape[-2], 4 * feats.shape[-1])
    out = {}
    for kind in kinds:
        if kind == "embedding":
            out[kind] = net.embed(feats)
        elif kind == "head":
            out[kind] = head_features(net, source, feats)
        else:
            out[kind] = F.interpolate(feats, size=size, mode="bilinear", align_corners=False)
    return out


def crop_input(image: np.ndarray, box: np.ndarray, input_size: tuple[int, int], udp: bool,
               padding: float = 1.25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(3, H, W) normalised float32 crop of ``box`` (xywh), its center and scale (image px).
    ``input_size`` = (W, H)."""
    center, scale = box_to_center_scale(box, input_size[0] / input_size[1], padding)
    m = get_affine_matrix(center, scale, 0.0, input_size, udp)
    crop = crop_image(image, m, input_size)  # (H, W, 3) uint8
    img = np.ascontiguousarray(crop.transpose(2, 0, 1), dtype=np.float32)
    img = img * (1.0 / (255.0 * IMAGENET_STD)).astype(np.float32)[:, None, None]
    img -= (IMAGENET_MEAN / IMAGENET_STD).astype(np.float32)[:, None, None]
    return img, center, scale


def _load(path: Path, cache: dict[Path, np.ndarray]) -> np.ndarray:
    if path not in cache:
        try:
            with Image.open(path) as im:
                cache[path] = np.asarray(im.convert("RGB"))
        except OSError as err:
            raise DataError(path, f"cannot read the image ({err})") from None
    return cache[path]


@torch.no_grad()
def extract_features(net: MultiHeadPose, instances: Sequence[CapeInstance], image_root: str | Path,
                     source: str, kinds: Sequence[str], device: torch.device | str = "cpu",
                     batch_size: int = 32, padding: float = 1.25) -> dict[str, CapeFeatures]:
    """Kind -> the feature maps of every instance (module docstring); one backbone pass."""
    unknown = [k for k in kinds if k not in FEATURE_KINDS]
    if unknown:
        raise ValueError(f"unknown feature kinds {unknown}; known {list(FEATURE_KINDS)}")
    if "embedding" in kinds and not hasattr(net, "embed"):
        raise ValueError("feature kind 'embedding' needs a PoseBH checkpoint (no embedding module)")
    if source not in net.cfg.datasets:
        raise ValueError(f"expert {source!r} is not one of the model's datasets {net.cfg.datasets}")
    udp = skeletons.get(source).udp
    h, w = net.cfg.img_size
    didx = net.cfg.datasets.index(source)
    net.eval().to(device)
    cache: dict[Path, np.ndarray] = {}
    maps: dict[str, list[torch.Tensor]] = {k: [] for k in kinds}
    boxes: list[tuple[np.ndarray, np.ndarray]] = []
    for start in range(0, len(instances), batch_size):
        batch = []
        for inst in instances[start:start + batch_size]:
            image = _load(Path(image_root) / inst.image_file, cache)
            img, center, scale = crop_input(image, np.asarray(inst.box), (w, h), udp, padding)
            batch.append(img)
            boxes.append((center, scale))
        images = torch.from_numpy(np.stack(batch)).to(device)  # (B, 3, H, W)
        feats = net.backbone(images, torch.full((len(batch),), didx, dtype=torch.long,
                                                device=device))  # (B, C, h, w)
        for kind, m in _kind_maps(net, source, feats, kinds).items():
            maps[kind].append(m.float())
    out = {}
    for kind in kinds:
        stacked = torch.cat(maps[kind])  # (N, C, H, W)
        size = (stacked.shape[-1], stacked.shape[-2])  # heat-map (W, H)
        to_hm = np.stack([get_affine_matrix(c, s, 0.0, size, udp) for c, s in boxes])
        out[kind] = CapeFeatures(stacked, to_hm)
    return out
