"""Small valid raw inputs, one writer per dataset in its published format, for the fault tests.

Each writer puts its annotation file(s) and tiny images under ``root`` and returns the file
roles -> paths relative to ``root`` (as ``data.real.files`` lists them). Every keypoint lies
inside its box and image, so a test can break exactly one field and expect exactly one error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from PIL import Image

W, H = 64, 48  # image size of the COCO-style writers


def image(path: Path, w: int = W, h: int = H) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (w, h), (90, 120, 150)).save(path)


def dump(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def rewrite(path: Path, change: Callable[[Any], Any]) -> None:
    """Load ``path``, apply ``change`` in place (its return value, when not None, replaces it)."""
    data = json.loads(path.read_text())
    new = change(data)
    dump(path, data if new is None else new)


def kps(k: int, box: tuple[float, float, float, float] = (8, 6, 40, 30), v: int = 2) -> list:
    """``k`` keypoints spread over the inside of ``box``, all with visibility ``v``."""
    x, y, w, h = box
    return [c for j in range(k) for c in (x + 2 + (j % 6) * (w - 4) / 5,
                                          y + 2 + (j // 6 % 5) * (h - 4) / 4, v)]


def _ann(aid: int, image_id: int, k: int, category: int = 1) -> dict:
    box = [8.0, 6.0, 40.0, 30.0]
    return {"id": aid, "image_id": image_id, "category_id": category, "keypoints": kps(k),
            "num_keypoints": k, "bbox": box, "area": 1200.0, "iscrowd": 0}


def _coco_style(root: Path, folder: str, k: int, category: dict, name: str = "val.json") -> dict:
    images = [{"id": i, "file_name": f"im{i}.jpg", "width": W, "height": H} for i in (1, 2)]
    raw = {"info": {}, "images": images,
           "annotations": [_ann(10, 1, k, category["id"]), _ann(11, 2, k, category["id"])],
           "categories": [category]}
    dump(root / folder / "annotations" / name, raw)
    for img in images:
        image(root / folder / "images" / img["file_name"])
    return {"annotations": f"{folder}/annotations/{name}", "images": f"{folder}/images"}


def coco(root: Path) -> dict:
    files = _coco_style(root, "coco", 17, {"id": 1, "name": "person"})
    dump(root / "coco" / "dets.json",
         [{"image_id": 1, "category_id": 1, "bbox": [8.0, 6.0, 40.0, 30.0], "score": 0.9}])
    return {**files, "detections": "coco/dets.json"}


def ochuman(root: Path) -> dict:
    return _coco_style(root, "ochuman", 17, {"id": 1, "name": "person"})


def ap10k(root: Path) -> dict:
    return _coco_style(root, "ap10k", 17, {"id": 26, "name": "dog", "supercategory": "Canidae"})


def aic_coco(root: Path) -> dict:
    return _coco_style(root, "aic", 14, {"id": 1, "name": "person"})


def wholebody(root: Path) -> dict:
    files = _coco_style(root, "coco_wholebody", 17, {"id": 1, "name": "person"})
    path = root / files["annotations"]

    def parts(raw: dict) -> None:
        for ann in raw["annotations"]:
            ann.update(foot_kpts=kps(6), face_kpts=kps(68), lefthand_kpts=kps(21),
                       righthand_kpts=kps(21, v=1), foot_valid=True, face_valid=True,
                       lefthand_valid=True, righthand_valid=True,
                       face_box=[10.0, 8.0, 10.0, 10.0], lefthand_box=[10.0, 20.0, 8.0, 8.0],
                       righthand_box=[30.0, 20.0, 8.0, 8.0])
    rewrite(path, parts)
    return files


def aic_native(root: Path) -> dict:
    """AI Challenger's native list: sha1-like image ids, humanN keypoints (v 1/2/3), corners."""
    raw = []
    for n, sha in enumerate(("a" * 40, "b" * 40)):
        pts = kps(14)
        native = [c for j in range(14) for c in (pts[3 * j], pts[3 * j + 1], 1 + j % 3)]
        raw.append({"image_id": sha, "url": "", "keypoint_annotations": {"human1": native},
                    "human_annotations": {"human1": [8, 6, 48, 36]}})
        image(root / "aic" / "images" / f"{sha}.jpg")
    dump(root / "aic" / "annotations" / "native.json", raw)
    return {"annotations": "aic/annotations/native.json", "images": "aic/images"}


def mpii(root: Path) -> dict:
    """mmpose's MPII JSON list (1-based joints, centre, scale) + 200x200 jpgs."""
    raw = []
    for name in ("m1.jpg", "m2.jpg"):
        joints = [[60.0 + 6 * (j % 8), 60.0 + 10 * (j // 8)] for j in range(16)]
        raw.append({"image": name, "center": [100.0, 90.0], "scale": 0.5, "joints": joints,
                    "joints_vis": [1] * 16})
        image(root / "mpii" / "images" / name, 200, 200)
    dump(root / "mpii" / "annotations" / "mpii_val.json", raw)
    return {"annotations": "mpii/annotations/mpii_val.json", "images": "mpii/images"}


def apt36k_raw(videos: int = 10) -> dict:
    """Raw apt36k_annotations.json content: Windows paths, video_id on both records, is_crowd."""
    images, anns = [], []
    for v in range(1, videos + 1):
        images.append({"id": v, "file_name": f"D:\\APT-36K\\dog\\clip{v}\\img0001.png",
                       "width": W, "height": H, "video_id": v})
        anns.append({**_ann(100 + v, v, 17), "video_id": v, "track_id": 1})
        anns[-1]["is_crowd"] = anns[-1].pop("iscrowd")
    return {"info": {}, "images": images, "annotations": anns,
            "categories": [{"id": 1, "name": "dog"}]}


def apt36k(root: Path) -> dict:
    raw = apt36k_raw()
    for img in raw["images"]:
        clip = img["file_name"].split("\\")[-2]
        image(root / "apt36k" / "images" / "dog" / clip / "img0001.png")
    dump(root / "apt36k" / "annotations" / "apt36k_annotations.json", raw)
    return {"annotations": "apt36k/annotations/apt36k_annotations.json", "images": "apt36k/images"}


def interhand(root: Path) -> dict:
    """InterHand2.6M data/camera/joint_3d files: identity camera, both hands valid, 64x48 image."""
    focal, princpt, depth = (100.0, 100.0), (32.0, 24.0), 1000.0
    uv = np.array([[10 + (j % 7) * 6, 8 + (j // 7) * 5] for j in range(42)], dtype=np.float64)
    world = np.stack([(uv[:, 0] - princpt[0]) / focal[0] * depth,
                      (uv[:, 1] - princpt[1]) / focal[1] * depth, np.full(42, depth)], axis=1)
    camera = {"1": {"campos": {"c1": [0.0, 0.0, 0.0]}, "camrot": {"c1": np.eye(3).tolist()},
                    "focal": {"c1": list(focal)}, "princpt": {"c1": list(princpt)}}}
    joints = {"1": {"5": {"world_coord": world.tolist(), "joint_valid": [[1]] * 42}}}
    data = {"images": [{"id": 7, "file_name": "cap1/image5.jpg", "width": W, "height": H,
                        "capture": 1, "subject": 1, "seq_name": "s", "camera": "c1",
                        "frame_idx": 5}],
            "annotations": [{"id": 7, "image_id": 7, "joint_valid": [[1]] * 42,
                             "hand_type": "interacting", "hand_type_valid": 1}]}
    d = root / "interhand2d" / "annotations"
    dump(d / "data.json", data)
    dump(d / "camera.json", camera)
    dump(d / "joint_3d.json", joints)
    image(root / "interhand2d" / "images" / "cap1" / "image5.jpg")
    return {"annotations": "interhand2d/annotations/data.json",
            "camera": "interhand2d/annotations/camera.json",
            "joints": "interhand2d/annotations/joint_3d.json", "images": "interhand2d/images"}


def pw3d(root: Path) -> dict:
    """ScoreHypo's processed 3DPW json: 24 projected SMPL joints inside a 64x48 image."""
    joint_img = [[10.0 + (j % 6) * 8, 8.0 + (j // 6) * 8, 3.0] for j in range(24)]
    images = [{"id": 1, "file_name": "image_00000.jpg", "sequence": "seq_00", "width": W,
               "height": H}]
    anns = [{"id": 70, "image_id": 1, "bbox": [6.0, 4.0, 50.0, 36.0],
             "smpl_joint_img": joint_img}]
    dump(root / "pw3d" / "annotations" / "3DPW_test.json", {"images": images, "annotations": anns})
    image(root / "pw3d" / "imageFiles" / "seq_00" / "image_00000.jpg")
    return {"annotations": "pw3d/annotations/3DPW_test.json", "images": "pw3d/imageFiles"}


WRITERS: dict[str, Callable[[Path], dict]] = {
    "coco": coco, "coco_wholebody": wholebody, "aic": aic_native, "mpii": mpii, "ap10k": ap10k,
    "apt36k": apt36k, "interhand2d": interhand, "pw3d": pw3d, "ochuman": ochuman,
}


def params_file(root: Path, dataset: str, files: dict, check_images: bool = True) -> Path:
    """A ``parameters_data.yml`` whose ``data.real.files`` lists ``files`` for ``dataset``."""
    table = {"raw": files} if dataset == "apt36k" else {"val": files}
    data = {"image_root": str(root), "seed": 0, "apt36k": {"split_rule": "official"},
            "real": {"check_images": check_images, "files": {dataset: table}}}
    path = root / "params.yml"
    path.write_text(yaml.safe_dump({"data": data}))
    return path
