"""Fixed report inputs shared by test_reporting.py and test_report_browser.py (importable from
tests/reporting/: pytest puts a test file's folder on sys.path)."""

import copy

import numpy as np
from PIL import Image

from posebh import skeletons
from posebh.experiments import Ablation
from posebh.reporting import report

OKS = {"AP": 0.5, "AP50": 0.75, "AP75": 0.6, "AR": 0.6, "PCK@0.2": 0.8}
WB = {p: {"AP": 0.1, "AR": 0.2} for p in ("body", "foot", "face", "lefthand", "righthand", "wholebody")}
BASELINE = {
    "coco": {**OKS, "GFLOPs": 0.05}, "aic": {**OKS, "AP": 0.25}, "ap10k": OKS,
    "apt36k": OKS, "mpii": {"PCKh": 90.0, "PCKh@0.1": 30.0, "AP": 0.4, "AR": 0.5, "PCK@0.2": 0.7},
    "coco_wholebody": {**WB, "PCK@0.2": 0.6},
}
POSEBH = copy.deepcopy(BASELINE)
POSEBH["coco"]["AP"] = 0.52
POSEBH["apt36k"]["AP"] = 0.61
GRID_F32 = copy.deepcopy(BASELINE)
GRID_F32["coco"]["AP"] = 0.49
VARIANTS = {
    "baseline": {"description": "ViTPose++ baseline", "ablation": True},
    "aic_only": {"description": "AIC only"},
    "proto": {"description": "+ L_Proto", "ablation": True},
    "posebh": {"description": "PoseBH", "ablation": True},
    "grid_F32": {"description": "F = 32", "grid": {"table": 6, "param": "F", "value": 32}},
    "grid_bg": {"description": "beta/gamma",
                "grid": {"table": 7, "param": "beta_gamma", "value": [5.0e-7, 5.0e-8]}},
}
ABLATION = Ablation(("baseline", "proto", "posebh"), "baseline", "baseline_ft", "posebh")
HAND = {"PCK@0.2": 0.9, "AUC@30px": 0.5, "EPE": 4.25}
SMPL = {"AP": 0.3, "AR": 0.4, "PCK@0.2": 0.8}
TRANSFER = {"interhand2d": {"scratch": {**HAND, "AUC@30px": 0.25}, "baseline": HAND},
            "pw3d": {"baseline": SMPL, "posebh": {**SMPL, "AP": 0.35}}}
PARAMS = {"report": {"profile": "unit", "note": "fixed inputs", "differs": "unit-test inputs",
                     "overlays": {"images_per_dataset": 2, "min_keypoint_score": 0.3},
                     "tsne": {"perplexity": 10, "max_iter": 250}}, "model": {}, "train": {}}
PROV = {"git commit": "0123abcd", "profile": "unit", "params hash": "p", "data hash": "d",
        "device": "cpu", "versions": {"python": "3.11"}}
SPLIT = {"train": {"videos": 7, "images": 105, "instances": 105, "species": 3}}


def prototypes() -> tuple[dict, dict]:
    """COCO + AIC source bank and a pw3d transfer bank; COCO nose ~ pw3d jaw, COCO left hip ~ pw3d pelvis."""
    rng = np.random.default_rng(0)
    labels = [[d, k] for d in ("coco", "aic") for k in skeletons.get(d).keypoints]
    bank = rng.normal(size=(len(labels), 2, 8))
    pw3d_names = skeletons.get("pw3d").keypoints
    pw3d = rng.normal(size=(len(pw3d_names), 2, 8))
    axis = np.eye(8)
    bank[labels.index(["coco", "nose"])] = axis[0] * 10 + rng.normal(size=(2, 8)) * 0.1
    bank[labels.index(["coco", "left_hip"])] = axis[1] * 10 + rng.normal(size=(2, 8)) * 0.1
    pw3d[pw3d_names.index("jaw")] = axis[0] * 10 + rng.normal(size=(2, 8)) * 0.1
    pw3d[pw3d_names.index("pelvis")] = axis[1] * 10 + rng.normal(size=(2, 8)) * 0.1
    return ({"bank": bank.astype(np.float32), "labels": labels},
            {"pw3d": {"bank": pw3d.astype(np.float32), "labels": [["pw3d", k] for k in pw3d_names]}})


def val_and_predictions(root) -> tuple[dict, dict]:
    """A 3-image COCO val set (PNG files under ``root``) and two models' results on it."""
    (root / "coco").mkdir(parents=True, exist_ok=True)
    images = []
    for i in (3, 1, 2):  # unsorted on purpose: overlays take the first ids in order
        Image.new("RGB", (64, 64), (40 * i, 90, 160)).save(root / "coco" / f"{i}.png")
        images.append({"id": i, "file_name": f"{i}.png", "width": 64, "height": 64})
    coco = {"info": {"image_root": str(root / "coco")}, "images": images, "annotations": [], "categories": []}
    kp = [v for j in range(17) for v in (10 + 2 * j, 12 + 2 * j, 0.9)]
    preds = {m: {"coco": [{"image_id": i, "category_id": 1, "keypoints": kp, "score": 0.9} for i in (1, 2, 3)]}
             for m in ("baseline", "posebh")}
    return {"coco": coco}, preds


def make_inputs(tmp_path, **overrides) -> report.ReportInputs:
    protos, transfer_protos = prototypes()
    val, preds = val_and_predictions(tmp_path / "images")
    history = [{"epoch": 0, "loss": 0.01, "seconds": 60.0}, {"epoch": 1, "loss": 0.005, "seconds": 60.0}]
    fields = dict(
        variants=VARIANTS,
        ablation=ABLATION,
        metrics={"baseline": BASELINE, "posebh": POSEBH, "grid_F32": GRID_F32,
                 "aic_only": {"aic": BASELINE["aic"]}},
        histories={"baseline": history, "posebh": history[:1], "grid_F32": history[:1]},
        transfer_metrics=TRANSFER, split_summary=SPLIT, params=PARAMS, predictions=preds, val_sets=val,
        prototypes=protos, transfer_prototypes=transfer_protos)
    fields.update(overrides)
    return report.ReportInputs(**fields)
