"""Evaluation protocols of the suite: OKS AP (hotcoco/xtcocotools/pycocotools), MPII PCKh, PCK/AUC/EPE,
top-down rescoring + OKS-NMS, and input validation. See each module's docstring for the pinned
conventions."""

from posebh.evaluation.dataset_metrics import evaluate_dataset, format_table
from posebh.evaluation.oks import STAT_NAMES, evaluate_oks, evaluate_wholebody, make_coco
from posebh.evaluation.pck import auc, epe, pck_accuracy, pck_bbox, pck_normalized, pckh
from posebh.evaluation.topdown_protocol import oks_nms, rescore, topdown_results
from posebh.evaluation.validate import load_gt, load_results

__all__ = [
    "STAT_NAMES",
    "auc",
    "epe",
    "evaluate_dataset",
    "evaluate_oks",
    "evaluate_wholebody",
    "format_table",
    "load_gt",
    "load_results",
    "make_coco",
    "oks_nms",
    "pck_accuracy",
    "pck_bbox",
    "pck_normalized",
    "pckh",
    "rescore",
    "topdown_results",
]
