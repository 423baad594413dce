"""OKS-based AP/AR (COCO keypoint protocol): hotcoco (default), xtcocotools (reference), pycocotools.

PoseBH/ViTPose report every OKS dataset with xtcocotools ``COCOeval(gt, dt, 'keypoints', sigmas,
use_area)``. The default engine ``hotcoco`` runs that protocol on hotcoco's Rust evaluator with
the inputs rewritten to xtcocotools' rules (:mod:`posebh.evaluation.oks_fast`); its 10 stats equal
xtcocotools' (tests: the suite's cases and a large random set). Where it is not proven exact —
``use_area=False`` (AIC), GT without ``area``/``bbox``, COCO-WholeBody parts — the suite uses
xtcocotools instead, whatever the engine. pycocotools (and faster-coco-eval) are cross-checks
that differ from xtcocotools on purpose in two edge cases (see ``deps-feasibility.md`` §4):
xtcocotools drops detections whose keypoint scores are all <= 0 and decides GT-ignore by counting
``v > 0``; pycocotools keeps such detections and reads the ``num_keypoints`` field.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from posebh import skeletons
from posebh.evaluation import oks_fast

STAT_NAMES: tuple[str, ...] = ("AP", "AP50", "AP75", "APM", "APL", "AR", "AR50", "AR75", "ARM", "ARL")
ENGINES: tuple[str, ...] = ("hotcoco", "xtcocotools", "pycocotools", "faster-coco-eval")
DEFAULT_ENGINE = "hotcoco"  # xtcocotools' stats; runs xtcocotools where not proven exact

# COCO-WholeBody v1.0 part layout: (part name, GT/result field, xtcocotools iouType, size).
WHOLEBODY_PARTS: tuple[tuple[str, str, str, int], ...] = (
    ("body", "keypoints", "keypoints_body", 17),
    ("foot", "foot_kpts", "keypoints_foot", 6),
    ("face", "face_kpts", "keypoints_face", 68),
    ("lefthand", "lefthand_kpts", "keypoints_lefthand", 21),
    ("righthand", "righthand_kpts", "keypoints_righthand", 21),
)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Swallow the evaluators' stdout prints and their 'part score missing' warnings."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _engine_modules(engine: str) -> tuple[Any, Any]:
    if engine == "xtcocotools":
        from xtcocotools.coco import COCO
        from xtcocotools.cocoeval import COCOeval
    elif engine == "pycocotools":
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    elif engine == "faster-coco-eval":  # optional: ~2.5x faster, pycocotools semantics
        try:
            from faster_coco_eval import COCO
            from faster_coco_eval import COCOeval_faster as COCOeval
        except ImportError as err:
            raise ValueError("engine 'faster-coco-eval' is not installed (pip install -e '.[bench]')") from err
    elif engine == "hotcoco":
        raise ValueError("engine 'hotcoco' has no COCO objects here: use evaluate_oks")
    else:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    return COCO, COCOeval


def make_coco(gt: dict, engine: str = "xtcocotools") -> Any:
    """A COCO object built from an in-memory dict (works around xtcocotools ignoring ``ann_data``)."""
    coco_cls, _ = _engine_modules(engine)
    # The evaluators add keys to the annotation/image records (ignore, area, ...) but never touch
    # the nested keypoint lists, so per-record copies protect the caller's dict (a deep copy cost
    # ~40 % of a 50k-instance evaluation).
    data = {**gt, "images": [dict(i) for i in gt.get("images", [])],
            "annotations": [dict(a) for a in gt.get("annotations", [])]}
    for ann in data.get("annotations", []):
        ann.setdefault("iscrowd", 0)
        if "num_keypoints" not in ann and "keypoints" in ann:
            ann["num_keypoints"] = int(np.count_nonzero(np.asarray(ann["keypoints"])[2::3] > 0))
    data.setdefault("categories", [])
    with _quiet():
        coco = coco_cls()
        coco.dataset = data
        coco.createIndex()
    return coco


def _empty_results(coco_gt: Any, engine: str) -> Any:
    """A results object with no detections (``loadRes([])`` fails in pycocotools)."""
    coco_cls, _ = _engine_modules(engine)
    with _quiet():
        coco_dt = coco_cls()
        coco_dt.dataset = {"images": list(coco_gt.dataset.get("images", [])), "annotations": [],
                           "categories": list(coco_gt.dataset.get("categories", []))}
        coco_dt.createIndex()
    return coco_dt


def _run_cocoeval(
    coco_gt: Any,
    results: list[dict],
    iou_type: str,
    sigmas: np.ndarray,
    use_area: bool,
    engine: str,
) -> dict[str, float]:
    """Load results into ``coco_gt`` and run one COCOeval; the 10 keypoint stats by name.

    No results is still a full evaluation: 0 where the GT has instances, -1 where a stat has no
    GT at all (e.g. APM without medium persons), as xtcocotools reports for an empty result set.
    """
    _, eval_cls = _engine_modules(engine)
    coco_dt = _empty_results(coco_gt, engine) if not results else None
    with _quiet():
        if coco_dt is None:
            coco_dt = coco_gt.loadRes([dict(r) for r in results])
        if engine == "xtcocotools":
            ev = eval_cls(coco_gt, coco_dt, iou_type, sigmas=sigmas, use_area=use_area)
        elif engine == "faster-coco-eval":
            ev = eval_cls(coco_gt, coco_dt, iou_type, kpt_oks_sigmas=list(sigmas),
                          print_function=lambda *a, **k: None)
        else:
            ev = eval_cls(coco_gt, coco_dt, iou_type)
            ev.params.kpt_oks_sigmas = sigmas
        if engine != "faster-coco-eval":
            ev.params.useSegm = None
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {name: float(v) for name, v in zip(STAT_NAMES, ev.stats, strict=True)}


def evaluate_oks(
    gt: dict,
    results: list[dict],
    dataset: str,
    engine: str = DEFAULT_ENGINE,
    sigmas: np.ndarray | None = None,
) -> dict[str, float]:
    """OKS AP/AR (AP, AP50, AP75, APM, APL, AR, AR50, AR75, ARM, ARL) of COCO-format results.

    Sigmas and ``use_area`` come from the dataset's skeleton (``sigmas`` overrides them). Empty
    results give 0 where the GT has instances and -1 where a stat has none (as xtcocotools).
    ``engine="hotcoco"`` runs xtcocotools where it is not proven exact (``use_area=False``, GT
    without ``area``/``bbox``), so it always returns xtcocotools' numbers. pycocotools and
    faster-coco-eval cannot do ``use_area=False`` (AIC) and raise.
    """
    sk = skeletons.get(dataset)
    raw = sk.sigmas if sigmas is None else sigmas
    if raw is None:
        raise ValueError(f"dataset {dataset!r} has no OKS sigmas; it is not an OKS dataset")
    sig = np.asarray(raw, dtype=np.float64)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "hotcoco":
        if oks_fast.exact_for(gt, sk.use_area):
            with _quiet():
                stats = oks_fast.evaluate_hotcoco(gt, results, sig)
            return dict(zip(STAT_NAMES, stats, strict=True))
        engine = "xtcocotools"
    if engine != "xtcocotools" and not sk.use_area:
        raise ValueError(
            f"engine {engine!r} cannot evaluate {dataset!r}: its protocol needs use_area=False "
            "(OKS scale 0.53*w*h), which only xtcocotools supports"
        )
    coco_gt = make_coco(gt, engine)
    return _run_cocoeval(coco_gt, results, "keypoints", sig, sk.use_area, engine)


def split_wholebody_result(res: dict) -> dict:
    """A COCO-WholeBody result with 133*3 ``keypoints`` split into the v1.0 per-part fields."""
    out = dict(res)
    kpts = list(res["keypoints"])
    if len(kpts) == 17 * 3 and all(f in res for _, f, _, _ in WHOLEBODY_PARTS[1:]):
        return out  # already split
    start = 0
    for _, field, _, n in WHOLEBODY_PARTS:
        out[field] = [float(v) for v in kpts[start * 3 : (start + n) * 3]]
        start += n
    return out


def evaluate_wholebody(gt: dict, results: list[dict]) -> dict[str, dict[str, float]]:
    """COCO-WholeBody AP/AR per part (body, foot, face, lefthand, righthand, wholebody).

    As mmpose's CocoWholeBodyDataset: xtcocotools part iouTypes, part sigmas sliced from the 133
    COCO-WholeBody sigmas, ``use_area=True``; the instance ``score`` stands in for part scores.
    Always xtcocotools, whatever the suite's engine: hotcoco has no part iouTypes.
    """
    sig = np.asarray(skeletons.get("coco_wholebody").sigmas, dtype=np.float64)
    dets = [split_wholebody_result(r) for r in results]
    coco_gt = make_coco(gt, "xtcocotools")
    out: dict[str, dict[str, float]] = {}
    start = 0
    for part, _, iou_type, n in WHOLEBODY_PARTS:
        out[part] = _run_cocoeval(
            coco_gt, dets, iou_type, sig[start : start + n], True, "xtcocotools"
        )
        start += n
    out["wholebody"] = _run_cocoeval(coco_gt, dets, "keypoints_wholebody", sig, True, "xtcocotools")
    return out
