"""Cross-skeleton scores: one head's predictions on another dataset's images, against hidden truth.

The synthetic benchmark's hidden truth (``posebh.data.hidden``) is a COCO GT of skeleton d over
the val images of source s. A head's score there is its dataset's own protocol run on that GT:
the OKS AP with d's sigmas (COCO-WholeBody: the whole-body AP over all 133 points; MPII: the OKS
AP beside PCKh) and PCK@0.1 of the GT box's longer side over every labelled joint. On the
diagonal (s = d) the GT is the published val split, so the numbers are the model's usual ones.

For an interval over val images each cell is also reduced to per-instance scores of its OKS AP
(``evaluation.instances``) whose resampling units index the *source's* images (APT-36K: its
videos), the same index for every head on that source, so one draw of a source's images
reweights every cell on it alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from posebh.evaluation.dataset_metrics import evaluate_dataset, pck_of_results
from posebh.evaluation.instances import InstanceScores, oks_instances, unit_keys
from posebh.evaluation.oks import DEFAULT_ENGINE

PCK_THR = 0.1


def headline_ap(metrics: dict, head: str) -> float:
    """The OKS AP of ``evaluate_dataset``'s output (COCO-WholeBody: its ``wholebody`` part)."""
    return float(metrics["wholebody"]["AP"] if head == "coco_wholebody" else metrics["AP"])


def score_head(gt: dict, results: list[dict], head: str, engine: str = DEFAULT_ENGINE) -> dict:
    """{AP, PCK@0.1, n_images} of ``head``'s top-down ``results`` (with ``ann_id``) on ``gt``."""
    metrics = evaluate_dataset(gt, results, head, engine=engine)
    return {"AP": headline_ap(metrics, head),
            f"PCK@{PCK_THR:g}": pck_of_results(gt, results, head, PCK_THR),
            "n_images": len(gt["images"])}


def source_units(gts: Iterable[dict]) -> list:
    """The sorted resampling-unit keys (image ids; APT-36K: video ids) of one source's GTs, over
    every target skeleton given (they share the source's images)."""
    return sorted({u for gt in gts for u in unit_keys(gt)[1]})


def cell_instances(gt: dict, results: list[dict], head: str, units: Sequence) -> InstanceScores:
    """Per-instance scores of the cell's OKS AP (``head``'s sigmas; WholeBody: all 133 points),
    each instance's ``image`` its unit's index in ``units`` (``source_units`` of the source)."""
    inst = oks_instances(gt, results, head)
    keys = unit_keys(gt)[1]
    index = {u: n for n, u in enumerate(units)}
    missing = sorted({u for u in keys if u not in index}, key=str)
    if missing:
        raise ValueError(f"{head}: resampling units {missing[:5]} not among the source's units")
    return InstanceScores(inst.kind, np.array([index[u] for u in keys], dtype=np.int64),
                          oks=inst.oks, score=inst.score, ignored=inst.ignored,
                          category=inst.category)
