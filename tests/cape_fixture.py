"""A tiny MP-100-format folder written by the tests (importable: ``pythonpath = ["tests"]``):
``<root>/annotations/mp100_split{k}_test.json`` and PNG images under ``<root>/images/``, one
instance per image, each keypoint a coloured dot on a noisy background (not the CAPE helper's
generator: these tests depend on nothing but the file format)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

# split -> {category: (supercategory, keypoint count)}; test categories disjoint across splits
SPLITS = {1: {"tern_body": ("animal", 4), "upper_hand": ("hand", 3)},
          2: {"bust": ("human", 5), "yak_head": ("animal", 3)}}
SIZE = (64, 48)  # image (W, H)


def _image(rng: np.random.Generator, xy: np.ndarray) -> np.ndarray:
    img = rng.integers(0, 60, size=(SIZE[1], SIZE[0], 3)).astype(np.uint8)
    for j, (x, y) in enumerate(xy.round().astype(int)):
        colour = np.array([(80 * j) % 256, 255 - (50 * j) % 256, (140 + 70 * j) % 256])
        img[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3] = colour
    return img


def write_mp100(root: Path, per_category: int = 8, seed: int = 0) -> Path:
    """Write the folder; returns ``root``."""
    rng = np.random.default_rng(seed)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    cid = 0
    for split, cats in SPLITS.items():
        categories, images, anns = [], [], []
        for name, (domain, j) in sorted(cats.items()):
            cid += 1
            categories.append({"id": cid, "name": name, "supercategory": domain,
                               "keypoints": [f"kp{k}" for k in range(j)], "skeleton": []})
            (root / "images" / name).mkdir(parents=True, exist_ok=True)
            for _ in range(per_category):
                iid = 100 * cid + len(images)
                x, y = rng.uniform(4, 16), rng.uniform(4, 12)
                w, h = rng.uniform(28, 40), rng.uniform(24, 30)
                xy = np.stack([x + rng.uniform(3, w - 3, j), y + rng.uniform(3, h - 3, j)], 1)
                v = np.where(rng.uniform(size=j) > 0.15, 2, 0)
                v[0] = 2  # at least one labelled point
                file_name = f"{name}/{iid}.png"
                Image.fromarray(_image(rng, xy)).save(root / "images" / file_name)
                images.append({"id": iid, "file_name": file_name, "width": SIZE[0],
                               "height": SIZE[1]})
                kps = np.concatenate([xy * (v[:, None] > 0), v[:, None]], axis=1)
                anns.append({"id": len(anns) + 1 + 1000 * split, "image_id": iid,
                             "category_id": cid, "bbox": [x, y, w, h], "area": w * h,
                             "iscrowd": 0, "num_keypoints": int((v > 0).sum()),
                             "keypoints": [float(t) for t in kps.ravel()]})
        doc = {"images": images, "annotations": anns, "categories": categories}
        (root / "annotations" / f"mp100_split{split}_test.json").write_text(json.dumps(doc))
    return root
