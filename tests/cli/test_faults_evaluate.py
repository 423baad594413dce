"""Fault rows of ``posebh evaluate`` (see faultkit.py for what each row checks)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import rawfixtures as rf
from faultkit import Fault, eval_gt, eval_pred, run_fault, set_at


def ev(fid: str, expect: str, gt: Callable | str | bytes | None = None,
       pred: Callable | str | None = None, dataset: str = "coco", k: int = 17,
       args: tuple[str, ...] = ()) -> Fault:
    """An ``evaluate`` row: ``gt``/``pred`` change the good files (callable) or replace their
    content (str or bytes)."""
    def setup(tmp: Path) -> tuple[list[str], Path | None]:
        g = eval_gt(k)
        p = eval_pred(g)
        files = {}
        for name, good, bad in (("gt.json", g, gt), ("pred.json", p, pred)):
            path = tmp / name
            if isinstance(bad, bytes):
                path.write_bytes(bad)
            elif isinstance(bad, str):
                path.write_text(bad)
            else:
                if bad is not None:
                    bad(good)
                path.write_text(json.dumps(good))
            files[name] = path
        return (["evaluate", "--dataset", dataset, "--gt", str(files["gt.json"]), "--pred",
                 str(files["pred.json"]), *args], None)
    return Fault(f"evaluate-{fid}", "posebh", setup, expect)


def _dir_instead(name: str) -> Callable[[Path], tuple[list[str], None]]:
    def setup(tmp: Path) -> tuple[list[str], None]:
        g = tmp / "gt.json"
        g.write_text(json.dumps(eval_gt()))
        (tmp / name).mkdir()
        return ["evaluate", "--dataset", "coco", "--gt", str(g), "--pred", str(tmp / name)], None
    return setup


def _wb_partial(pred: list) -> None:
    pred[0]["keypoints"] = pred[0]["keypoints"][:51]
    pred[0]["foot_kpts"] = [0.0] * 18


def _split_wb_gt(gt: dict) -> None:
    for a in gt["annotations"]:
        kp = a.pop("keypoints")
        start = 0
        for f, n in (("keypoints", 17), ("foot_kpts", 6), ("face_kpts", 68),
                     ("lefthand_kpts", 21), ("righthand_kpts", 21)):
            a[f] = kp[3 * start: 3 * (start + n)]
            start += n


EVALUATE = [
    Fault("evaluate-gt-missing", "posebh", lambda t: (["evaluate", "--dataset", "coco", "--gt",
          str(t / "nope.json"), "--pred", str(t / "nope2.json")], None), "nope.json: file not found"),
    Fault("evaluate-pred-missing", "posebh", lambda t: (
        ["evaluate", "--dataset", "coco", "--gt", str(rf.dump(t / "gt.json", eval_gt())),
         "--pred", str(t / "none.json")], None), "none.json: file not found"),
    ev("gt-malformed", "gt.json: malformed JSON", gt='{"images": ['),
    ev("gt-nested", "gt.json: malformed JSON (nested too deeply", gt="[" * 100000 + "]" * 100000),
    ev("gt-binary", "gt.json: not valid JSON text", gt=b"{\"images\": \"\x80\"}"),
    Fault("evaluate-pred-directory", "posebh", _dir_instead("pred_dir"), "pred_dir: cannot read"),
    ev("gt-not-object", "expected a COCO-style JSON object", gt="[1, 2]"),
    ev("gt-dup-ann-id", "annotation id 10 appears twice", gt=set_at("annotations", 1, "id", value=10)),
    ev("gt-dup-image-id", "image id 1 appears twice", gt=set_at("images", 1, "id", value=1)),
    ev("gt-negative-area", "area -3.0 is negative", gt=set_at("annotations", 0, "area", value=-3.0)),
    ev("gt-string-area", "area '60000' is not a finite number",
       gt=set_at("annotations", 0, "area", value="60000")),
    ev("gt-string-bbox", "bbox '50 60 200 300' is not [x, y, w, h]",
       gt=set_at("annotations", 0, "bbox", value="50 60 200 300")),
    ev("gt-list-id", "annotations[0]: id [10] is not an integer or string id",
       gt=set_at("annotations", 0, "id", value=[10])),
    ev("gt-iscrowd-yes", "iscrowd 'yes' is not 0 or 1", gt=set_at("annotations", 0, "iscrowd", value="yes")),
    ev("gt-visibility-7", "visibility 7 is not one of [0, 1, 2]",
       gt=set_at("annotations", 0, "keypoints", 2, value=7)),
    ev("gt-unknown-category", "category_id 4 is not in categories",
       gt=set_at("annotations", 0, "category_id", value=4)),
    ev("gt-keypoint-far", "lies outside the 640x480 image",
       gt=set_at("annotations", 0, "keypoints", 0, value=100000.0)),
    ev("gt-no-area", "missing key 'area'", gt=lambda g: g["annotations"][0].pop("area")),
    ev("gt-width-string", "width '640' is not a positive number",
       gt=set_at("images", 0, "width", value="640")),
    ev("mpii-no-head-box", "missing key 'head_bbox'", dataset="mpii", k=16),
    ev("pred-unknown-category", "[0]: category_id 2 is not a GT category",
       pred=set_at(0, "category_id", value=2)),
    ev("pred-list-image-id", "[1]: image_id [1] is not an integer", pred=set_at(1, "image_id", value=[1])),
    ev("pred-unknown-image", "[0]: image_id 9 is absent from the GT", pred=set_at(0, "image_id", value=9)),
    ev("pred-string-score", "[0]: score 'high' is not a finite number", pred=set_at(0, "score", value="high")),
    ev("pred-nan-keypoint", "keypoints value nan is not a finite number",
       pred='[{"image_id": 1, "category_id": 1, "score": 1, "keypoints": [NaN' + ", 0" * 50 + "]}]"),
    ev("pred-wrong-count", "keypoints has 48 values, expected 51",
       pred=lambda p: p[0].update(keypoints=[1.0] * 48)),
    ev("pred-not-list", "results must be a JSON list", pred='{"a": 1}'),
    ev("pred-missing-score", "[0]: missing key 'score'", pred=lambda p: p[0].pop("score")),
    ev("wholebody-partial-layout", "has foot_kpts but lacks face_kpts, lefthand_kpts, righthand_kpts",
       gt=_split_wb_gt, pred=_wb_partial, dataset="coco_wholebody", k=133),
    ev("engine-use-area", "use_area=False", dataset="aic", k=14, args=("--engine", "pycocotools")),
    Fault("evaluate-unknown-dataset", "posebh", lambda t: (
        ["evaluate", "--dataset", "lsp", "--gt", "g", "--pred", "p"], None), "invalid choice: 'lsp'"),
    Fault("evaluate-missing-gt-arg", "posebh", lambda t: (
        ["evaluate", "--dataset", "coco", "--pred", "p"], None), "the following arguments are required: --gt"),
]


@pytest.mark.parametrize("row", EVALUATE, ids=[r.id for r in EVALUATE])
def test_fault(tmp_path: Path, capsys, row: Fault) -> None:
    run_fault(row, tmp_path, capsys)
