"""Issue #13 B: ``posebh evaluate`` refuses inputs that used to give wrong numbers silently, accepts
the official COCO-WholeBody results layout, and reports -1 for stats without data."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from support import keypoint_gt, real_sample

from posebh.commands import main

WB_PARTS = (("keypoints", 17), ("foot_kpts", 6), ("face_kpts", 68), ("lefthand_kpts", 21),
            ("righthand_kpts", 21))


def _results(gt: dict, field: str = "keypoints") -> list[dict]:
    return [{"image_id": a["image_id"], "category_id": 1, "score": 0.9,
             "keypoints": [v if (i % 3) != 2 else 0.9 for i, v in enumerate(a[field])]}
            for a in gt["annotations"]]


def _write(tmp: Path, name: str, obj) -> Path:
    p = tmp / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return p


def _evaluate(capsys, tmp: Path, gt, pred, dataset: str = "coco") -> tuple[int, str, str]:
    g = gt if isinstance(gt, Path) else _write(tmp, "gt.json", gt)
    p = pred if isinstance(pred, Path) else _write(tmp, "pred.json", pred)
    rc = main(["evaluate", "--dataset", dataset, "--gt", str(g), "--pred", str(p), "--json-only"])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _refused(rc: int, out: str, err: str, *fragments: str) -> None:
    assert rc == 2, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for frag in fragments:
        assert frag in lines[0], lines[0]


def test_duplicate_gt_annotation_ids_are_refused(tmp_path: Path, capsys) -> None:
    gt = keypoint_gt()
    good = _results(gt)
    gt["annotations"][1]["id"] = gt["annotations"][0]["id"]  # was: AP 0.693, exit 0
    _refused(*_evaluate(capsys, tmp_path, gt, good), "gt.json", "annotation id 11 appears twice")


def test_prediction_category_not_in_gt_is_refused(tmp_path: Path, capsys) -> None:
    gt = keypoint_gt()
    pred = _results(gt)
    for r in pred:
        r["category_id"] = 2  # was: AP 0, exit 0
    _refused(*_evaluate(capsys, tmp_path, gt, pred), "pred.json", "[0]: category_id 2 is not a GT category")


def test_negative_area_is_refused(tmp_path: Path, capsys) -> None:
    gt = keypoint_gt()
    gt["annotations"][2]["area"] = -1.0  # was: every metric -1, exit 0
    _refused(*_evaluate(capsys, tmp_path, gt, _results(gt)), "annotations[2] (id 21): area -1.0 is negative")


@pytest.mark.parametrize("where, value, fragment", [
    (("annotations", 0, "bbox"), "50,60,200,300", "annotations[0] (id 11): bbox '50,60,200,300'"),
    (("annotations", 0, "area"), "60000", "annotations[0] (id 11): area '60000' is not a finite number"),
    (("annotations", 0, "id"), [11], "annotations[0]: id [11] is not an integer or string id"),
    (("annotations", 0, "image_id"), [1], "annotations[0] (id 11): image_id [1] is not an integer"),
    (("images", 0, "id"), [1], "images[0]: id [1] is not an integer or string id"),
    (("annotations", 0, "iscrowd"), "yes", "annotations[0] (id 11): iscrowd 'yes' is not 0 or 1"),
    (("annotations", 0, "category_id"), 5, "category_id 5 is not in categories"),
])
def test_type_errors_in_gt_are_one_line(tmp_path: Path, capsys, where: tuple, value, fragment: str) -> None:
    gt = keypoint_gt()
    pred = _results(gt)
    target = gt
    for k in where[:-1]:
        target = target[k]
    target[where[-1]] = value
    _refused(*_evaluate(capsys, tmp_path, gt, pred), "gt.json", fragment)


def test_prediction_with_list_image_id_is_one_line(tmp_path: Path, capsys) -> None:
    gt = keypoint_gt()
    pred = _results(gt)
    pred[0]["image_id"] = [1]
    _refused(*_evaluate(capsys, tmp_path, gt, pred), "pred.json", "[0]: image_id [1] is not an integer")


def test_deeply_nested_and_unreadable_files_are_one_line(tmp_path: Path, capsys) -> None:
    gt = keypoint_gt()
    pred = _write(tmp_path, "pred.json", _results(gt))
    nested = _write(tmp_path, "nested.json", "[" * 200000 + "]" * 200000)
    _refused(*_evaluate(capsys, tmp_path, nested, pred), "nested.json", "nested too deeply")
    folder = tmp_path / "folder.json"
    folder.mkdir()
    _refused(*_evaluate(capsys, tmp_path, gt, folder), "folder.json", "cannot read")


def _wholebodykeypoint_gt() -> dict:
    gt = keypoint_gt(133)
    for a in gt["annotations"]:
        kp = a.pop("keypoints")
        start = 0
        for field, n in WB_PARTS:
            a[field] = kp[3 * start: 3 * (start + n)]
            start += n
    return gt


def _official_results(gt: dict) -> list[dict]:
    """mmpose's COCO-WholeBody results: body in ``keypoints``, the parts in their own fields
    (GT as predictions; GT visibility as keypoint score, so unlabelled persons are dropped as
    xtcocotools does)."""
    return [{"image_id": a["image_id"], "category_id": 1, "score": 1.0,
             **{field: list(a[field]) for field, _ in WB_PARTS}} for a in gt["annotations"]]


def test_official_wholebody_results_layout_is_accepted(tmp_path: Path, capsys) -> None:
    gt = _wholebodykeypoint_gt()
    rc, out, err = _evaluate(capsys, tmp_path, gt, _official_results(gt), "coco_wholebody")
    assert rc == 0, err
    m = json.loads(out)
    for part in ("body", "foot", "face", "lefthand", "righthand", "wholebody"):
        assert m[part]["AP"] == pytest.approx(1.0), part


def test_official_layout_maps_each_part_to_its_own_keypoints(tmp_path: Path, capsys) -> None:
    """Moving only the face points of every result hurts only face (and wholebody) AP, as the
    133-keypoint result with the same points shows: the mapping follows the skeleton order."""
    gt = _wholebodykeypoint_gt()
    official = _official_results(gt)
    for res in official:
        res["face_kpts"] = [v + 40.0 if (i % 3) != 2 else v for i, v in enumerate(res["face_kpts"])]
    flat = [{**{k: v for k, v in r.items() if k not in dict(WB_PARTS)},
             "keypoints": [v for f, _ in WB_PARTS for v in r[f]]} for r in official]
    rc, out, err = _evaluate(capsys, tmp_path, gt, official, "coco_wholebody")
    assert rc == 0, err
    got = json.loads(out)
    rc, out, _ = _evaluate(capsys, tmp_path, gt, flat, "coco_wholebody")
    assert rc == 0 and json.loads(out) == got
    assert got["face"]["AP"] < 0.5 and got["wholebody"]["AP"] < 1.0
    assert all(got[p]["AP"] == pytest.approx(1.0) for p in ("body", "foot", "lefthand", "righthand"))


def test_partial_wholebody_layout_is_refused(tmp_path: Path, capsys) -> None:
    gt = _wholebodykeypoint_gt()
    pred = _official_results(gt)
    del pred[0]["face_kpts"]
    _refused(*_evaluate(capsys, tmp_path, gt, pred, "coco_wholebody"), "pred.json", "lacks face_kpts")


def test_real_wholebody_sample_with_official_layout(tmp_path: Path, capsys) -> None:
    gt_path = real_sample("coco/test_coco_wholebody.json")
    gt = json.loads(gt_path.read_text())
    rc, out, err = _evaluate(capsys, tmp_path, gt_path, _official_results(gt), "coco_wholebody")
    assert rc == 0, err
    assert json.loads(out)["body"]["AP"] == pytest.approx(1.0)


@pytest.mark.parametrize("engine", ["hotcoco", "xtcocotools", "pycocotools"])
def test_no_predictions_give_minus_one_where_nokeypoint_gt(tmp_path: Path, capsys, engine: str) -> None:
    gt = keypoint_gt()
    g, p = _write(tmp_path, "gt.json", gt), _write(tmp_path, "pred.json", [])
    rc = main(["evaluate", "--dataset", "coco", "--gt", str(g), "--pred", str(p), "--json-only",
               "--engine", engine])
    m = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert m["APM"] == -1.0 and m["ARM"] == -1.0  # no medium GT: no data (was 0.0)
    assert m["AP"] == 0.0 and m["APL"] == 0.0 and m["AR"] == 0.0  # GT present, nothing found


def test_no_predictions_match_xtcocotools_on_an_empty_result_set() -> None:
    """Our empty-result metrics are what xtcocotools itself reports for ``loadRes([])``."""
    from xtcocotools.cocoeval import COCOeval

    from posebh import skeletons
    from posebh.evaluation import evaluate_oks, make_coco

    gt = keypoint_gt()
    for a in gt["annotations"]:  # medium persons only: APL/ARL have no data
        a.update(area=3600.0)
    coco = make_coco(copy.deepcopy(gt))
    ev = COCOeval(coco, coco.loadRes([]), "keypoints",
                  sigmas=np.asarray(skeletons.get("coco").sigmas), use_area=True)
    ev.params.useSegm = None
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    ours = evaluate_oks(gt, [], "coco")
    assert ours["APL"] == -1.0 and ours["APM"] == 0.0
    assert list(ours.values()) == pytest.approx([float(s) for s in ev.stats])
