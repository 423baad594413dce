"""Cross-skeleton scores: one head's predictions on another dataset's images, against hidden truth.

The synthetic benchmark's hidden truth (``posebh.data.hidden``) is a COCO GT of skeleton d over
the val images of source s. A head's score there is its dataset's own protocol run on that GT:
the OKS AP with d's sigmas (COCO-WholeBody: the whole-body AP over all 133 points; MPII: the OKS
AP beside PCKh) and PCK@0.1 of the GT box's longer side over every labelled joint. On the
diagonal (s = d) the GT is the published val split, so the numbers are the model's usual ones.
"""

from __future__ import annotations

from posebh.evaluation.dataset_metrics import evaluate_dataset, pck_of_results
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
