"""The ``hotcoco`` OKS engine: xtcocotools' keypoint protocol on hotcoco's Rust ``COCOeval``.

hotcoco (pycocotools-compatible, custom ``kpt_oks_sigmas``) has no ``use_area`` switch and no
COCO-WholeBody part iouTypes, and it keeps pycocotools' two rules where xtcocotools differs. The
inputs are therefore rewritten to xtcocotools' semantics before the evaluation:

* GT ``num_keypoints`` := the count of ``v > 0`` (xtcocotools' GT-ignore rule);
* detections whose keypoint scores are all <= 0 are dropped (xtcocotools skips them);
* results naming an image absent from the GT raise ``AssertionError`` (as xtcocotools' loadRes);
* only the fields the keypoint protocol reads are passed on (``ignore`` and the like are not
  read by xtcocotools either), and a result's ``bbox`` is kept only where xtcocotools' loadRes
  reads it (when the first result carries one).

:func:`exact_for` says where this reproduces xtcocotools: ``use_area=True`` with ``area`` and
``bbox`` on every GT annotation. Elsewhere the caller uses xtcocotools (tests prove the equality).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

import numpy as np

ANN_KEYS: tuple[str, ...] = ("id", "image_id", "category_id", "bbox", "area", "iscrowd", "keypoints")


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC: the ~100k acyclic records built here triggered collections of the
    whole heap that cost several times hotcoco's evaluation."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def exact_for(gt: dict, use_area: bool) -> bool:
    """Whether :func:`evaluate_hotcoco` gives xtcocotools' numbers for this GT and protocol."""
    if not use_area:
        return False  # OKS scale 0.53*w*h (AIC): xtcocotools only
    return all("area" in a and "bbox" in a and "keypoints" in a for a in gt.get("annotations", []))


def _gt_for_hotcoco(gt: dict) -> dict:
    anns = []
    for a in gt.get("annotations", []):
        rec = {k: a[k] for k in ANN_KEYS if k in a}
        rec.setdefault("iscrowd", 0)
        rec["num_keypoints"] = sum(1 for v in a["keypoints"][2::3] if v > 0)
        anns.append(rec)
    images = [{"id": i["id"]} for i in gt.get("images", [])]
    cats = [{"id": c["id"], "name": str(c.get("name", c["id"]))} for c in gt.get("categories", [])]
    return {"images": images, "annotations": anns, "categories": cats}


def _results_for_hotcoco(results: list[dict], image_ids: set[Any]) -> list[dict]:
    if not {r["image_id"] for r in results} <= image_ids:
        raise AssertionError("Results do not correspond to current coco set")
    with_bbox = bool(results) and bool(results[0].get("bbox"))  # xtcocotools loadRes: first decides
    out = []
    for r in results:  # plain Python: numpy per record cost more than hotcoco's evaluation
        kpts = r["keypoints"]
        if not any(v > 0 for v in kpts[2::3]):
            continue
        rec = {"image_id": r["image_id"], "category_id": r["category_id"],
               "keypoints": kpts if isinstance(kpts, list) else np.asarray(kpts).tolist(),
               "score": r["score"]}
        if with_bbox:
            rec["bbox"] = list(r["bbox"])
        out.append(rec)
    return out


def evaluate_hotcoco(gt: dict, results: list[dict], sigmas: np.ndarray) -> list[float]:
    """The 10 keypoint stats (xtcocotools order) of ``results`` against ``gt``, ``use_area=True``.

    Call only where :func:`exact_for` holds. The caller silences stdout and warnings (hotcoco
    warns that non-COCO sigmas are not COCO keypoint AP).
    """
    import hotcoco

    with _no_gc():
        data = _gt_for_hotcoco(gt)
        dets = _results_for_hotcoco(results, {i["id"] for i in data["images"]})
        coco_gt = hotcoco.COCO(data)
        coco_dt = coco_gt.loadRes(dets)
        del data, dets
    ev = hotcoco.COCOeval(coco_gt, coco_dt, "keypoints")
    ev.params.kpt_oks_sigmas = [float(s) for s in sigmas]
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    return [float(v) for v in ev.stats]
