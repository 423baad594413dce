"""Top-down inference on a folder of your own images (``posebh predict``).

The images of a folder (``.jpg``/``.jpeg``/``.png``, sorted by file name) become a COCO dict with
ids 1..N; each gets one box, the whole image, unless detector boxes are given (COCO detection
results format, each entry naming its image by ``file_name`` or by ``image_id`` = sorted index + 1).
Keypoints come from ``posebh.evaluation.predict.predict`` (flip test, the head's decoding);
overlays are PNGs with the head's skeleton drawn with PIL. Bad input raises ``DataError`` (one
line naming the file). No Kedro.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import torch
from PIL import Image, ImageDraw

from posebh import skeletons
from posebh.data.dataset import TopDownDataset
from posebh.data.errors import DataError
from posebh.evaluation.predict import detections_to_coco, predict
from posebh.zoo.checkpoint import from_checkpoint

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
RESULT_KEYS = ("image_id", "category_id", "keypoints", "score")


def image_files(folder: str | Path) -> list[Path]:
    """The images of ``folder``, sorted by name; ``DataError`` when it is not a folder or has none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "not a folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(folder, f"no images found ({'/'.join(s[1:] for s in IMAGE_SUFFIXES)})")
    return files


def images_coco(folder: str | Path) -> dict:
    """COCO dict of the images of ``folder`` (ids 1..N in name order, size read with PIL), no boxes."""
    images = []
    for i, path in enumerate(image_files(folder), start=1):
        try:
            with Image.open(path) as im:  # a full decode: a truncated file fails here, named
                width, height = im.size
                im.convert("RGB").load()
        except (OSError, SyntaxError, ValueError) as err:
            raise DataError(path, f"cannot decode the image ({type(err).__name__})") from None
        images.append({"id": i, "file_name": path.name, "width": width, "height": height})
    return {"images": images, "annotations": [], "categories": [{"id": 1, "name": "object"}],
            "info": {"image_root": str(Path(folder))}}


def whole_image_boxes(coco: dict, num_keypoints: int) -> dict:
    """``coco`` with one box per image covering the whole image (score 1)."""
    dets = [{"image_id": im["id"], "category_id": 1, "score": 1.0,
             "bbox": [0.0, 0.0, float(im["width"]), float(im["height"])]} for im in coco["images"]]
    return detections_to_coco(coco, dets, num_keypoints=num_keypoints)


def read_boxes(path: str | Path, coco: dict, num_keypoints: int, det_thr: float = 0.0) -> dict:
    """``coco`` with the boxes of the detection results file ``path``.

    Each entry has ``bbox`` (x, y, w, h) and ``score``, and names its image by ``file_name`` (a
    file of the folder) or ``image_id`` (the image's 1-based position in name order). Entries
    of another ``category_id`` than 1, when one is given, are skipped.
    """
    try:
        entries = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(path, f"cannot read the boxes ({str(err).splitlines()[0][:120]})") from None
    if not isinstance(entries, list):
        raise DataError(path, "expected a JSON list of detections (COCO detection results format)")
    by_name = {im["file_name"]: im["id"] for im in coco["images"]}
    ids = set(by_name.values())
    dets = []
    for i, det in enumerate(entries):
        if not isinstance(det, dict):
            raise DataError(path, f"entry {i}: expected an object, got {type(det).__name__}")
        bbox = det.get("bbox")
        if (not isinstance(bbox, list) or len(bbox) < 4
                or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in bbox[:4])):
            raise DataError(path, f"entry {i}: bbox must be [x, y, w, h] numbers")
        if "file_name" in det:
            if det["file_name"] not in by_name:
                raise DataError(path, f"entry {i}: file_name {det['file_name']!r} is not an image "
                                      "of the folder")
            image_id = by_name[det["file_name"]]
        elif det.get("image_id") in ids:
            image_id = det["image_id"]
        else:
            raise DataError(path, f"entry {i}: needs a file_name of the folder or an image_id in "
                                  f"1..{len(ids)} (sorted file order)")
        score = det.get("score", 1.0)
        if not isinstance(score, (int, float)) or not math.isfinite(score):
            raise DataError(path, f"entry {i}: score must be a number")
        dets.append({"image_id": image_id, "category_id": det.get("category_id", 1),
                     "bbox": [float(v) for v in bbox[:4]], "score": float(score)})
    return detections_to_coco(coco, dets, det_thr=det_thr, num_keypoints=num_keypoints)


def predict_folder(ckpt: dict, dataset: str, coco: dict, device: str | torch.device = "cpu",
                   detector_boxes: bool = False, flip_test: bool = True, batch_size: int = 32
                   ) -> list[dict]:
    """COCO-format results of ``ckpt``'s head ``dataset`` on the boxes of ``coco``.

    Detector boxes get ViTPose's OKS-NMS; whole-image boxes give one result per image.
    """
    model = from_checkpoint(ckpt)
    h, w = model.cfg.img_size
    data = TopDownDataset(coco, Path(coco["info"]["image_root"]), dataset=dataset,
                          dataset_idx=list(model.heads).index(dataset), input_size=(w, h),
                          heatmap_size=(w // 4, h // 4), train=False)
    if len(data) == 0:
        return []
    results = predict(model, data, dataset, torch.device(device), flip_test=flip_test,
                      batch_size=batch_size, nms=detector_boxes)
    return [{k: r[k] for k in RESULT_KEYS} for r in results]


def overlay_png(path: str | Path, results: list[dict], dataset: str, min_score: float = 0.3) -> bytes:
    """PNG bytes of the image at ``path`` with each result's skeleton (edges and keypoints whose
    confidence reaches ``min_score``) drawn on it."""
    edges = skeletons.get(dataset).edges
    with Image.open(path) as im:
        canvas = im.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    width = max(1, round(max(canvas.size) / 200))
    colours = ((232, 113, 10), (26, 115, 232), (24, 128, 56), (161, 66, 244))
    for n, res in enumerate(results):
        kp = [res["keypoints"][i:i + 3] for i in range(0, len(res["keypoints"]), 3)]
        colour = colours[n % len(colours)]
        for a, b in edges:
            if a < len(kp) and b < len(kp) and min(kp[a][2], kp[b][2]) >= min_score:
                draw.line([tuple(kp[a][:2]), tuple(kp[b][:2])], fill=colour, width=width)
        r = width + 1
        for x, y, s in kp:
            if s >= min_score:
                draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 255, 255), outline=colour)
    buf = io.BytesIO()
    canvas.save(buf, format="PNG")
    return buf.getvalue()
