"""MPII (the mmpose JSON list ``mpii_{train,val}.json`` + ``mpii_gt_val.mat``) -> the suite format.

Each list entry is one person: ``image``, ``center``, ``scale`` (box height / 200 px), ``joints``
(16 x 2, MATLAB 1-based) and ``joints_vis``. As mmpose's ``TopDownMpiiDataset``: joints and
centre get -1 (0-based); the centre moves down by 15*scale px; the box is the square of side
200*scale around it (the suite's 1.25 padding and 3:4 aspect ratio then give mmpose's crop).
Images get ids 1..N in order of first appearance; sizes come from the jpg headers.

With ``head_boxes`` (``mpii_gt_val.mat``, columns in the JSON's order) each annotation gets
``head_bbox`` [x, y, w, h] (0-based) for PCKh, and its keypoints and visibility are taken from
the .mat's ``pos_gt_src`` / ``jnt_missing``, the ground truth mmpose's PCKh scores against.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from posebh.data.coco_validate import check_file_name, is_number
from posebh.data.errors import DataError
from posebh.data.real.coco_format import (
    annotation_record,
    count_labelled,
    finalise,
    skeleton_category,
)
from posebh.data.real.files import image_size, read_json

REQUIRED: tuple[str, ...] = ("annotations", "images")
OPTIONAL: tuple[str, ...] = ("head_boxes",)
K = 16
PIXEL_STD = 200.0  # MPII scale unit
CENTER_SHIFT = 15.0  # mmpose/HRNet: centre y += 15 * scale
MAT_KEYS: tuple[str, ...] = ("pos_gt_src", "jnt_missing", "headboxes_src")


def load_gt_mat(path: Path, n: int) -> dict[str, np.ndarray]:
    """``mpii_gt_val.mat``: pos_gt_src (16,2,N), jnt_missing (16,N), headboxes_src (2,2,N)."""
    from scipy.io import loadmat  # scipy comes with scikit-learn

    if not path.is_file():
        raise DataError(path, "file not found")
    try:
        mat = loadmat(path)
    except Exception as err:  # scipy raises ValueError/TypeError/MatReadError on corrupt files
        raise DataError(path, f"not a readable .mat file ({str(err).splitlines()[0]})") from None
    out = {}
    shapes = {"pos_gt_src": (K, 2, n), "jnt_missing": (K, n), "headboxes_src": (2, 2, n)}
    for key in MAT_KEYS:
        if key not in mat:
            raise DataError(path, f"missing variable {key!r}")
        arr = np.asarray(mat[key], dtype=np.float64)
        if arr.shape != shapes[key]:
            raise DataError(path, f"{key} has shape {arr.shape}, expected {shapes[key]} "
                                  f"(the annotation file lists {n} persons)")
        out[key] = arr
    return out


def _box(entry: dict, where: str, path: Path) -> list[float]:
    center, s = entry.get("center"), entry.get("scale")
    if (not isinstance(center, list) or len(center) != 2 or not all(is_number(v) for v in center)
            or not is_number(s) or s <= 0):
        raise DataError(path, f"{where}: center {center!r} / scale {s!r} missing or malformed "
                              "(expected [x, y] and a positive number)")
    cx, cy = float(center[0]), float(center[1])
    cx, cy = cx - 1.0, cy + CENTER_SHIFT * s - 1.0
    side = PIXEL_STD * s
    return [cx - side / 2, cy - side / 2, side, side]


def _keypoints(entry: dict, where: str, path: Path) -> list[float]:
    joints, vis = entry.get("joints"), entry.get("joints_vis")
    shape = (len(joints), *{len(j) if isinstance(j, list) else -1 for j in joints}) \
        if isinstance(joints, list) else type(joints).__name__
    if shape != (K, 2) or not isinstance(vis, list) or len(vis) != K:
        raise DataError(path, f"{where}: joints must be {K} x 2 and joints_vis {K} long, got "
                              f"{shape} and {len(vis) if isinstance(vis, list) else vis!r}")
    if not all(is_number(v) for j in joints for v in j):
        raise DataError(path, f"{where}: joints hold a non-number")
    bad = [v for v in vis if not is_number(v) or v not in (0, 1)]
    if bad:
        raise DataError(path, f"{where}: joints_vis value {bad[0]!r} is not 0 or 1")
    xy = np.asarray(joints, dtype=np.float64) - 1.0
    return _triplets(xy, np.asarray(vis, dtype=np.float64) > 0)


def _triplets(xy: np.ndarray, visible: np.ndarray) -> list[float]:
    """(K,2) coordinates + (K,) visibility -> flat x, y, v (v 2 or 0; unusable coordinates 0)."""
    out: list[float] = []
    for (x, y), v in zip(xy.tolist(), visible.tolist()):
        ok = np.isfinite(x) and np.isfinite(y)
        out += [x, y, 2 if v else 0] if ok or v else [0.0, 0.0, 0]
    return out


def convert(files: Mapping[str, Path], dataset: str = "mpii") -> dict:
    """Convert one MPII split; with ``head_boxes`` add PCKh head boxes and the .mat GT."""
    path, image_dir = files["annotations"], files["images"]
    raw = read_json(path)
    if not isinstance(raw, list):
        raise DataError(path, f"expected the mmpose MPII JSON list, got {type(raw).__name__}")
    gt = load_gt_mat(files["head_boxes"], len(raw)) if files.get("head_boxes") else None
    images: dict[str, dict] = {}
    anns = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or "image" not in entry:
            raise DataError(path, f"[{i}]: missing key 'image'")
        check_file_name(entry["image"], f"[{i}]", path)
        where = f"[{i}] ({entry['image']})"
        if entry["image"] not in images:
            w, h = image_size(image_dir / entry["image"])
            images[entry["image"]] = {"id": len(images) + 1, "file_name": entry["image"],
                                      "width": w, "height": h}
        image = images[entry["image"]]
        kps = _keypoints(entry, where, path)
        extra = {}
        if gt is not None:
            kps = _triplets(gt["pos_gt_src"][:, :, i] - 1.0, gt["jnt_missing"][:, i] == 0)
            (x1, y1), (x2, y2) = gt["headboxes_src"][0, :, i], gt["headboxes_src"][1, :, i]
            extra["head_bbox"] = [float(x1) - 1.0, float(y1) - 1.0, float(x2 - x1), float(y2 - y1)]
        bbox = _box(entry, where, path)
        ann = {"id": i + 1, "image_id": image["id"], "category_id": 1, "keypoints": kps,
               "num_keypoints": count_labelled(kps), "bbox": bbox, "area": bbox[2] * bbox[3],
               "iscrowd": 0, **extra}
        anns.append(annotation_record(ann, i, K, path, extra=tuple(extra)))
    return finalise(dataset, list(images.values()), anns, [skeleton_category(dataset, "person")],
                    image_dir, [path] + ([files["head_boxes"]] if gt is not None else []))
