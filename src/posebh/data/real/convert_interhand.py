"""InterHand2.6M (``InterHand2.6M_<split>_{data,camera,joint_3d}.json``) -> 2D hands, suite format.

As mmpose 0.x ``InterHand2DDataset`` (what ViTPose++ and PoseBH train and test with): the 42 world
joints of a frame (right hand 0-20, left hand 21-41) are moved into the camera with
``R (X - campos)`` and projected with focal length and principal point; a hand whose wrist (its
last joint) is not valid counts as wholly invalid; each hand with more than 11 valid joints
becomes one instance whose box is the tightest box around its valid joints. Invalid joints keep
their projected coordinates with v = 0; valid joints get v = 1 (mmpose's visibility).
Frame sampling and splits are those of the annotation files (ViTPose++: ``all`` train and test,
every frame listed); images without a usable hand are left out.
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

REQUIRED: tuple[str, ...] = ("annotations", "camera", "joints", "images")
OPTIONAL: tuple[str, ...] = ()
K = 21
HANDS: tuple[str, ...] = ("right", "left")  # order of the 42 joints in the release
MIN_VALID = 11  # mmpose keeps a hand with more than this many valid joints
IMAGE_EXTRA: tuple[str, ...] = ("capture", "subject", "seq_name", "camera", "frame_idx")
CAMERA_SHAPES: dict[str, tuple[int, ...]] = {"camrot": (3, 3), "campos": (3,), "focal": (2,),
                                             "princpt": (2,)}


def project(world: np.ndarray, rot: np.ndarray, pos: np.ndarray, focal: np.ndarray,
            princpt: np.ndarray) -> np.ndarray:
    """World joints (N,3) -> pixel coordinates (N,2): ``R (X - campos)`` then pinhole projection."""
    cam = (rot @ (world.T - pos.reshape(3, 1))).T
    z = cam[:, 2] + 1e-8
    return np.stack([cam[:, 0] / z * focal[0] + princpt[0],
                     cam[:, 1] / z * focal[1] + princpt[1]], axis=1)


def _camera(cameras: dict, capture: str, name: str, path: Path) -> tuple[np.ndarray, ...]:
    """camrot (3,3), campos (3,), focal (2,), princpt (2,) of one camera, all finite."""
    out = []
    for key, shape in CAMERA_SHAPES.items():
        try:
            raw = cameras[capture][key][name]
        except (KeyError, TypeError, IndexError):
            raise DataError(path, f"no camera {name!r} for capture {capture}") from None
        try:
            arr = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError(path, f"capture {capture} camera {name!r}: {key} holds a "
                                  "non-number") from None
        if arr.shape != shape or not np.isfinite(arr).all():
            raise DataError(path, f"capture {capture} camera {name!r}: {key} has shape "
                                  f"{arr.shape}, expected {shape} finite numbers")
        out.append(arr)
    return tuple(out)


def _world(joints: dict, capture: str, frame: str, path: Path) -> np.ndarray:
    try:
        world = np.asarray(joints[capture][frame]["world_coord"], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise DataError(path, f"no world_coord for capture {capture} frame {frame}") from None
    if world.shape != (2 * K, 3) or not np.isfinite(world).all():
        raise DataError(path, f"capture {capture} frame {frame}: world_coord has shape "
                              f"{world.shape}, expected {(2 * K, 3)} finite numbers")
    return world


def convert(files: Mapping[str, Path], dataset: str = "interhand2d") -> dict:
    """Convert one InterHand2.6M split to one 21-keypoint instance per usable hand."""
    path = files["annotations"]
    data, cameras, joints = (read_json(files[r]) for r in ("annotations", "camera", "joints"))
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list)
                                             for k in ("images", "annotations")):
        raise DataError(path, "missing list 'images' or 'annotations'")
    anns_by_image: dict = {}
    for i, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict) or "image_id" not in ann or "joint_valid" not in ann:
            raise DataError(path, f"annotations[{i}]: needs image_id and joint_valid")
        image_id = check_id(ann["image_id"], "image_id", f"annotations[{i}]", path)
        anns_by_image.setdefault(image_id, ann)  # mmpose uses the first annotation
    images, anns = [], []
    for i, raw_img in enumerate(data["images"]):
        image = image_record(raw_img, i, path, IMAGE_EXTRA)
        ann = anns_by_image.get(image["id"])
        if ann is None:
            continue
        for key in ("capture", "camera", "frame_idx"):
            if key not in raw_img:
                raise DataError(path, f"images[{i}] (id {image['id']}): missing key {key!r}")
        where = f"images[{i}] (id {image['id']!r})"
        for key in ("capture", "camera", "frame_idx"):
            check_id(raw_img[key], key, where, path)
        capture, frame = str(raw_img["capture"]), str(raw_img["frame_idx"])
        rot, pos, focal, princpt = _camera(cameras, capture, raw_img["camera"], files["camera"])
        xy = project(_world(joints, capture, frame, files["joints"]), rot, pos, focal, princpt)
        try:
            valid = np.asarray(ann["joint_valid"], dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise DataError(path, f"annotation of image {image['id']!r}: joint_valid "
                                  f"{str(ann['joint_valid'])[:40]} is not a list of numbers") from None
        if valid.size != 2 * K or not np.isin(valid, (0.0, 1.0)).all():
            raise DataError(path, f"annotation of image {image['id']!r}: joint_valid has "
                                  f"{valid.size} entries, expected {2 * K} flags 0 or 1")
        kept = 0
        for h, hand in enumerate(HANDS):
            v = valid[h * K:(h + 1) * K] * valid[(h + 1) * K - 1]  # invalid wrist -> whole hand
            if v.sum() <= MIN_VALID:
                continue
            pts = xy[h * K:(h + 1) * K]
            good = pts[v > 0]
            x0, y0 = good.min(axis=0)
            x1, y1 = good.max(axis=0)
            bbox = [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]
            kps = [c for j in range(K) for c in (float(pts[j, 0]), float(pts[j, 1]),
                                                 int(v[j] > 0))]
            record = {"id": len(anns) + 1, "image_id": image["id"], "category_id": 1,
                      "keypoints": kps, "num_keypoints": int((v > 0).sum()), "bbox": bbox,
                      "area": bbox[2] * bbox[3], "iscrowd": 0, "hand": hand}
            anns.append(annotation_record(record, len(anns), K, path, extra=("hand",)))
            kept += 1
        if kept:
            images.append(image)
    sources = [files[r] for r in ("annotations", "camera", "joints")]
    return finalise(dataset, images, anns, [skeleton_category(dataset, "hand")], files["images"],
                    sources)
