"""The synthetic CAPE set (issue #16): every novel skeleton (``novel_skeletons``) as one category,
rendered and written in the MP-100 format, so ``evaluation.cape_mp100.read_mp100`` reads it as it
reads the real benchmark.

Layout under ``root``::

    images/<category>/<i:06d>.png                     instance i (0-based) of a category
    annotations/mp100_split<k>_<train|val|test>.json  COCO-style, one category per novel skeleton
    source.json                                        where the annotations and images lie

Scenes: instance ``i`` of category ``c`` is ``synthetic.scene_layers`` in the scene style of ``c``'s
domain (``novel_skeletons.json: styles``) with its own generator
``np.random.default_rng([seed, crc32("cape:" + c), 7, i])``. The benchmark's streams are
``[seed, crc32(dataset), 0 | 1, i]`` and ``[seed, crc32(dataset), 2]``: the third word (7) and the
code (no dataset is named ``cape:...``) keep every CAPE stream apart from every train/val stream.
Keypoints are read off the figure exactly (``novel_skeletons.read_keypoints``); visibility, box and
area follow the benchmark (``synthetic.annotation``): v = 2 visible, 1 inside the image under the
occluder, 0 outside (x = y = 0); box and area = the figure mask's. One figure per image: image id =
annotation id, numbered over the categories in table order.

Splits: ``category_splits.make_category_splits`` (the MP-100 rule); each file of a split holds the
images and annotations of its part's categories, every instance of a category in each file where
the category appears. Edges are written 1-based (COCO ``skeleton``). The folder is built in a
temporary folder beside ``root`` and swapped in (``publish``); same arguments, same bytes.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from PIL import Image

from posebh.data import novel_skeletons, synthetic
from posebh.data.category_splits import PARTS, CategorySplit, make_category_splits
from posebh.io import fsync_dir

CAPE_STREAM = 7  # third word of a CAPE instance's RNG stream (the benchmark uses 0, 1 and 2)
_PNG = {"optimize": False, "compress_level": 1}
T = TypeVar("T")


def category_code(category: str) -> int:
    """Stable integer of a CAPE category (the second word of its RNG streams)."""
    return zlib.crc32(f"cape:{category}".encode())


def instance_rng(category: str, seed: int, i: int) -> np.random.Generator:
    """The generator of instance ``i`` (0-based) of ``category``."""
    return np.random.default_rng([int(seed), category_code(category), CAPE_STREAM, int(i)])


def render_instance(category: str, seed: int, i: int, canvas: tuple[int, int] = (160, 160)
                    ) -> tuple[Image.Image, dict, np.ndarray]:
    """(RGB image, annotation fields keypoints / num_keypoints / bbox / area, the (J, 2) keypoints
    in pixels before rounding) of instance ``i`` of ``category``."""
    table = novel_skeletons.load_table()
    style = table.style(category)
    canvas = (int(canvas[0]), int(canvas[1]))
    img, mask, rect, fig = synthetic.scene_layers(style, instance_rng(category, seed, i), canvas)
    kps = novel_skeletons.read_keypoints(fig, table.skeletons[category])  # (J, 2) pixels
    v = synthetic._visibility(kps, canvas, rect)  # the benchmark's rule (module docstring)
    base = synthetic.annotation(style, fig, mask, rect, canvas)  # box and area of the mask
    ann = {"keypoints": synthetic._triplets(kps, v), "num_keypoints": int((v > 0).sum()),
           "bbox": base["bbox"], "area": base["area"]}
    return img, ann, kps


def categories_entries(names: list[str]) -> list[dict]:
    """COCO ``categories`` of the novel skeletons ``names``: ids 1.. in that order."""
    out = []
    for cid, name in enumerate(names, start=1):
        sk = novel_skeletons.get(name)
        out.append({"id": cid, "name": name, "supercategory": sk.domain,
                    "keypoints": list(sk.names), "skeleton": [[a + 1, b + 1] for a, b in sk.edges]})
    return out


def publish(root: str | Path, fill: Callable[[Path], T]) -> T:
    """Build a folder with ``fill(tmp)`` in a temporary folder beside ``root``, then swap it in
    (the old ``root`` is moved aside first and removed after); on an error ``root`` is untouched."""
    root = Path(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = root.with_name(f".{root.name}.tmp-{secrets.token_hex(4)}")
    old = root.with_name(f".{root.name}.old-{secrets.token_hex(4)}")
    tmp.mkdir()  # the usual permissions (mkdtemp would make it 0700)
    try:
        result = fill(tmp)
        if root.exists():
            os.replace(root, old)
        os.replace(tmp, root)
        fsync_dir(root.parent)
    except BaseException:
        if old.exists() and not root.exists():
            os.replace(old, root)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return result


def _dump(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc) + "\n")


def _split_file(split: CategorySplit, part: str, names: list[str], images: dict[str, list[dict]],
                anns: dict[str, list[dict]], info: dict) -> dict:
    """One ``mp100_split<k>_<part>.json``: the part's categories (table order) and instances."""
    mine = [n for n in names if n in split.part(part)]
    ids = {e["name"]: e["id"] for e in categories_entries(names)}
    return {"info": {**info, "split": split.name, "part": part},
            "images": [im for n in mine for im in images[n]],
            "annotations": [{**a, "category_id": ids[n]} for n in mine for a in anns[n]],
            "categories": [e for e in categories_entries(names) if e["name"] in mine]}


def _fill(tmp: Path, names: list[str], splits: list[CategorySplit], images_per_category: int,
          seed: int, canvas: tuple[int, int]) -> dict:
    """Render every instance into ``tmp`` and write the split files; the per-category counts."""
    images: dict[str, list[dict]] = {}
    anns: dict[str, list[dict]] = {}
    counts: dict[str, dict] = {}
    for c, name in enumerate(names):
        (tmp / "images" / name).mkdir(parents=True)
        images[name], anns[name] = [], []
        labelled = 0
        for i in range(images_per_category):
            img, ann, _ = render_instance(name, seed, i, canvas)
            file_name = f"{name}/{i:06d}.png"
            img.save(tmp / "images" / file_name, **_PNG)
            image_id = c * images_per_category + i + 1
            images[name].append({"id": image_id, "file_name": file_name, "width": canvas[0],
                                 "height": canvas[1]})
            anns[name].append({"id": image_id, "image_id": image_id, **ann, "iscrowd": 0})
            labelled += ann["num_keypoints"]
        sk = novel_skeletons.get(name)
        counts[name] = {"domain": sk.domain, "style": novel_skeletons.load_table().style(name),
                        "keypoints": sk.num_keypoints, "instances": images_per_category,
                        "without_labelled_keypoints": sum(a["num_keypoints"] == 0
                                                          for a in anns[name]),
                        "labelled_keypoints": labelled}
    info = {"description": "posebh synthetic CAPE set (MP-100 format)", "seed": int(seed)}
    for k, split in enumerate(splits, start=1):
        for part in PARTS:
            _dump(tmp / "annotations" / f"mp100_split{k}_{part}.json",
                  _split_file(split, part, names, images, anns, info))
    return counts


def write_cape_set(root: str | Path, images_per_category: int = 40, seed: int = 0,
                   canvas: tuple[int, int] = (160, 160), n_splits: int = 5,
                   val_size: int = 2) -> dict:
    """Write the synthetic CAPE set under ``root`` (module docstring); return its summary:
    where it lies, the categories with their counts, the splits."""
    if images_per_category < 1:
        raise ValueError(f"images_per_category must be >= 1 (got {images_per_category})")
    root = Path(root)
    canvas = (int(canvas[0]), int(canvas[1]))
    names = list(novel_skeletons.load_novel_skeletons())
    splits = make_category_splits(names, n_splits, val_size, seed)
    where = {"annotations": str(root / "annotations"), "images": str(root / "images")}

    def fill(tmp: Path) -> dict:
        counts = _fill(tmp, names, splits, images_per_category, seed, canvas)
        _dump(tmp / "source.json", {"source": "synthetic", **where})
        return counts

    counts = publish(root, fill)
    return {"source": "synthetic", "status": "written", **where,
            "images_per_category": images_per_category, "seed": int(seed), "canvas": list(canvas),
            "categories": counts, "instances": images_per_category * len(names),
            "splits": {s.name: {p: sorted(s.part(p)) for p in PARTS} for s in splits}}
