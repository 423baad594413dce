"""3DPW from ScoreHypo's processed annotations (``3DPW_{train,test}.json``) -> the suite format.

As PoseBH's ``tools/dataset/preprocess_3dpw.py``: the 24 projected SMPL joints
``smpl_joint_img`` (x, y, depth per joint) become the keypoints; a joint is visible (v = 1) when
0 <= x < width, 0 <= y < height and depth >= 0, else v = 0 with its coordinates kept;
``file_name`` becomes ``<sequence>/<file_name>``; ``iscrowd`` 0, ``category_id`` 1. The SMPL and
3D fields are dropped. ``area`` is kept when present, else the box area.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from posebh.data.coco_validate import check_id
from posebh.data.errors import DataError
from posebh.data.real.coco_format import (
    annotation_record,
    finalise,
    image_record,
    skeleton_category,
)
from posebh.data.real.files import read_json

REQUIRED: tuple[str, ...] = ("annotations", "images")
OPTIONAL: tuple[str, ...] = ()
K = 24


def visible_joints(joint_img: np.ndarray, width: float, height: float) -> np.ndarray:
    """(K,3) x, y, depth -> (K,) bool: inside the image and in front of the camera."""
    x, y, d = joint_img[:, 0], joint_img[:, 1], joint_img[:, 2]
    return (x >= 0) & (x < width) & (y >= 0) & (y < height) & (d >= 0)


def convert(files: Mapping[str, Path], dataset: str = "pw3d") -> dict:
    """Convert one ScoreHypo 3DPW split to 24 projected SMPL joints per person."""
    path = files["annotations"]
    raw = read_json(path)
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), list)
                                            for k in ("images", "annotations")):
        raise DataError(path, "missing list 'images' or 'annotations'")
    images = []
    for i, img in enumerate(raw["images"]):
        rec = image_record(img, i, path)
        if "sequence" not in img:
            raise DataError(path, f"images[{i}] (id {img['id']!r}): missing key 'sequence'")
        if not isinstance(img["sequence"], str) or not isinstance(img["file_name"], str):
            raise DataError(path, f"images[{i}] (id {img['id']!r}): sequence {img['sequence']!r} "
                                  f"/ file_name {img['file_name']!r} are not strings")
        rec["file_name"] = f"{img['sequence']}/{img['file_name']}"
        images.append(rec)
    by_id = {img["id"]: img for img in images}
    anns = []
    for i, ann in enumerate(raw["annotations"]):
        if not isinstance(ann, dict) or not {"id", "bbox", "smpl_joint_img"} <= ann.keys():
            raise DataError(path, f"annotations[{i}]: needs id, bbox and smpl_joint_img")
        where = f"annotations[{i}] (id {ann.get('id')!r})"
        image = by_id.get(check_id(ann.get("image_id"), "image_id", where, path))
        if image is None:
            raise DataError(path, f"annotations[{i}] (id {ann.get('id')}): image_id "
                                  f"{ann.get('image_id')!r} is not in images")
        try:
            joint_img = np.asarray(ann["smpl_joint_img"], dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(path, f"annotations[{i}]: smpl_joint_img holds a non-number") from None
        if joint_img.size != 3 * K:
            raise DataError(path, f"annotations[{i}] (id {ann.get('id')}): smpl_joint_img has "
                                  f"{joint_img.size} values, expected {3 * K} ({K} joints x 3)")
        joint_img = joint_img.reshape(K, 3)
        if not np.isfinite(joint_img).all():
            raise DataError(path, f"{where}: smpl_joint_img holds a non-finite number")
        vis = visible_joints(joint_img, image["width"], image["height"])
        kps = [c for j in range(K) for c in (float(joint_img[j, 0]), float(joint_img[j, 1]),
                                             int(vis[j]))]
        record = {"id": ann["id"], "image_id": image["id"], "category_id": 1, "keypoints": kps,
                  "num_keypoints": int(vis.sum()), "bbox": ann["bbox"], "iscrowd": 0}
        if "area" in ann:
            record["area"] = ann["area"]
        anns.append(annotation_record(record, i, K, path))
    return finalise(dataset, images, anns, [skeleton_category(dataset, "person")], files["images"],
                    [path])
