"""AI Challenger keypoints -> the suite format.

Reads either the native release (``keypoint_{train,validation}_annotations_*.json``: a list of
``{image_id: <sha1>, keypoint_annotations: {humanN: [x,y,v]*14}, human_annotations: {humanN:
[x1,y1,x2,y2]}}`` with v = 1 visible, 2 occluded, 3 not labelled) or the COCO-style conversion
that ViTPose/PoseBH configs read (``aic_{train,val}.json`` from OpenMMLab). Native files are
converted the way that conversion did: v 1->2, 2->1, 3->0 (coordinates zeroed), box corners ->
xywh, image ids 1..N in file order, file_name ``<sha1>.jpg``; image sizes come from the jpgs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from posebh.data.coco_validate import check_file_name, is_number
from posebh.data.errors import DataError
from posebh.data.real.coco_format import (
    annotation_record,
    convert_coco_style,
    finalise,
    skeleton_category,
)
from posebh.data.real.files import image_size, read_json

REQUIRED: tuple[str, ...] = ("annotations", "images")
OPTIONAL: tuple[str, ...] = ()
NATIVE_TO_COCO_VIS: dict[int, int] = {1: 2, 2: 1, 3: 0}
K = 14


def _native_keypoints(values: object, where: str, path: Path) -> list[float]:
    if not isinstance(values, list) or len(values) != 3 * K:
        n = len(values) if isinstance(values, list) else type(values).__name__
        raise DataError(path, f"{where}: keypoint_annotations has {n} values, expected {3 * K} "
                              f"({K} keypoints x 3)")
    out: list[float] = []
    for j in range(K):
        x, y, v = values[3 * j: 3 * j + 3]
        if not (is_number(x) and is_number(y)):
            raise DataError(path, f"{where}: keypoint {j} ({x!r}, {y!r}) is not two finite numbers")
        if not is_number(v) or v not in NATIVE_TO_COCO_VIS:
            raise DataError(path, f"{where}: visibility {v!r} of keypoint {j} is not 1, 2 or 3")
        vis = NATIVE_TO_COCO_VIS[v]
        out += [x, y, vis] if vis else [0, 0, 0]
    return out


def _convert_native(raw: list, path: Path, image_dir: Path) -> tuple[list[dict], list[dict]]:
    images, anns = [], []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not {"image_id", "keypoint_annotations",
                                               "human_annotations"} <= set(entry):
            raise DataError(path, f"[{i}]: needs image_id, keypoint_annotations, human_annotations")
        if not isinstance(entry["image_id"], str) or "/" in entry["image_id"]:
            raise DataError(path, f"[{i}]: image_id {entry['image_id']!r} is not an image name")
        for key in ("keypoint_annotations", "human_annotations"):
            if not isinstance(entry[key], dict):
                raise DataError(path, f"[{i}] ({entry['image_id']}): {key} is "
                                      f"{type(entry[key]).__name__}, expected an object")
        file_name = check_file_name(f"{entry['image_id']}.jpg", f"[{i}]", path)
        width, height = image_size(image_dir / file_name)
        image = {"id": i + 1, "file_name": file_name, "width": width, "height": height}
        images.append(image)
        for human, kps in entry["keypoint_annotations"].items():  # file order
            where = f"[{i}] ({entry['image_id']}) {human}"
            box = entry["human_annotations"].get(human)
            if not isinstance(box, list) or len(box) != 4 or not all(is_number(v) for v in box):
                raise DataError(path, f"{where}: human_annotations box {box!r} is not "
                                      "[x1, y1, x2, y2] of 4 finite numbers")
            ann = {"id": len(anns) + 1, "image_id": image["id"], "category_id": 1,
                   "keypoints": _native_keypoints(kps, where, path),
                   "bbox": [box[0], box[1], box[2] - box[0], box[3] - box[1]], "iscrowd": 0}
            anns.append(annotation_record(ann, i, K, path))
    return images, anns


def convert(files: Mapping[str, Path], dataset: str = "aic") -> dict:
    """Convert one AIC split from its native list or its COCO-style form."""
    path = files["annotations"]
    raw = read_json(path)
    if isinstance(raw, list):
        images, anns = _convert_native(raw, path, files["images"])
        cats = [skeleton_category(dataset, "person")]
    else:
        images, anns, cats = convert_coco_style(raw, path, dataset)
    return finalise(dataset, images, anns, cats, files["images"], [path])
