"""``posebh evaluate``: metrics JSON on good input, exit 2 + one-line message on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support import keypoint_gt, real_sample

from posebh import skeletons
from posebh.commands import main


def _results(gt: dict, shift: float = 1.0) -> list[dict]:
    out = []
    for a in gt["annotations"]:
        kp = np.asarray(a["keypoints"], dtype=float).reshape(-1, 3)
        kp[:, :2] += shift
        kp[:, 2] = 0.9
        out.append({"image_id": a["image_id"], "category_id": 1,
                    "keypoints": kp.reshape(-1).tolist(), "score": 0.95})
    return out


def _write(tmp: Path, name: str, obj) -> Path:
    p = tmp / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return p


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.mark.parametrize("dataset", ["coco", "aic", "ap10k"])
def test_evaluate_oks_json(tmp_path: Path, capsys, dataset: str) -> None:
    gt = keypoint_gt(skeletons.get(dataset).num_keypoints)
    g, p = _write(tmp_path, "gt.json", gt), _write(tmp_path, "pred.json", _results(gt))
    rc, out, err = _run(capsys, "evaluate", "--dataset", dataset, "--gt", str(g), "--pred", str(p),
                        "--json-only")
    assert rc == 0, err
    metrics = json.loads(out)
    assert 0.9 < metrics["AP"] <= 1.0


def test_evaluate_table_and_engine(tmp_path: Path, capsys) -> None:
    gt = keypoint_gt(17)
    g, p = _write(tmp_path, "gt.json", gt), _write(tmp_path, "pred.json", _results(gt))
    rc, out, _ = _run(capsys, "evaluate", "--dataset", "coco", "--gt", str(g), "--pred", str(p),
                      "--engine", "pycocotools")
    assert rc == 0
    assert "AP50" in out.splitlines()[2] or any(line.startswith("AP50 ") for line in out.splitlines())
    assert json.loads(out[out.index("{"):])["AP"] > 0.9


def test_evaluate_real_coco(tmp_path: Path, capsys) -> None:
    real_coco = real_sample("coco/test_coco.json")
    gt = json.loads(real_coco.read_text())
    res = [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 1.0}
           for a in gt["annotations"]]
    p = _write(tmp_path, "pred.json", res)
    rc, out, _ = _run(capsys, "evaluate", "--dataset", "coco", "--gt", str(real_coco), "--pred",
                      str(p), "--json-only")
    assert rc == 0 and json.loads(out)["AP"] == pytest.approx(1.0)


def test_evaluate_mpii_pckh(tmp_path: Path, capsys) -> None:
    gt = keypoint_gt(16, head=True)
    g, p = _write(tmp_path, "gt.json", gt), _write(tmp_path, "pred.json", _results(gt, 2.0))
    rc, out, err = _run(capsys, "evaluate", "--dataset", "mpii", "--gt", str(g), "--pred", str(p),
                        "--json-only")
    assert rc == 0, err
    m = json.loads(out)
    assert m["PCKh"] == pytest.approx(100.0)  # err 2.83 px, head size 0.6*64 = 38.4
    assert m["PCKh@0.1"] == pytest.approx(100.0)
    assert "AP" in m and m["num_unpaired_gt"] == 0


def test_evaluate_interhand_pck(tmp_path: Path, capsys) -> None:
    gt = keypoint_gt(21)
    g, p = _write(tmp_path, "gt.json", gt), _write(tmp_path, "pred.json", _results(gt, 3.0))
    rc, out, err = _run(capsys, "evaluate", "--dataset", "interhand2d", "--gt", str(g), "--pred",
                        str(p), "--json-only")
    assert rc == 0, err
    m = json.loads(out)
    assert m["PCK@0.2"] == pytest.approx(1.0)
    assert m["EPE"] == pytest.approx(3.0 * np.sqrt(2))
    assert 0.0 < m["AUC@30px"] < 1.0


def test_evaluate_wholebody(tmp_path: Path, capsys) -> None:
    gt = keypoint_gt(133)
    for a in gt["annotations"]:
        kp = a.pop("keypoints")
        a["keypoints"], a["foot_kpts"], a["face_kpts"] = kp[:51], kp[51:69], kp[69:273]
        a["lefthand_kpts"], a["righthand_kpts"] = kp[273:336], kp[336:]
    res = [{"image_id": a["image_id"], "category_id": 1, "score": 1.0,
            "keypoints": a["keypoints"] + a["foot_kpts"] + a["face_kpts"] + a["lefthand_kpts"]
            + a["righthand_kpts"]} for a in gt["annotations"]]
    g, p = _write(tmp_path, "gt.json", gt), _write(tmp_path, "pred.json", res)
    rc, out, err = _run(capsys, "evaluate", "--dataset", "coco_wholebody", "--gt", str(g), "--pred",
                        str(p), "--json-only")
    assert rc == 0, err
    m = json.loads(out)
    assert all(m[part]["AP"] == pytest.approx(1.0) for part in ("body", "foot", "face", "wholebody"))


def _bad_cases(tmp: Path) -> list[tuple[str, list[str], str]]:
    gt = keypoint_gt(17)
    good_gt = _write(tmp, "good_gt.json", gt)
    good_pred = _write(tmp, "good_pred.json", _results(gt))
    wrong_k = _write(tmp, "wrong_k.json", _results(keypoint_gt(14)))
    bad_img = _results(gt)
    bad_img[1]["image_id"] = 777
    no_score = _results(gt)
    del no_score[0]["score"]
    gt_no_ann = {k: v for k, v in gt.items() if k != "annotations"}
    return [
        ("missing_gt.json", ["--gt", str(tmp / "missing_gt.json"), "--pred", str(good_pred)], "not found"),
        ("missing_pred.json", ["--gt", str(good_gt), "--pred", str(tmp / "missing_pred.json")], "not found"),
        ("broken.json", ["--gt", str(_write(tmp, "broken.json", "{\"images\": [")), "--pred", str(good_pred)],
         "malformed JSON"),
        ("wrong_k.json", ["--gt", str(good_gt), "--pred", str(wrong_k)], "expected 51"),
        ("bad_img.json", ["--gt", str(good_gt), "--pred", str(_write(tmp, "bad_img.json", bad_img))],
         "absent from the GT"),
        ("no_score.json", ["--gt", str(good_gt), "--pred", str(_write(tmp, "no_score.json", no_score))],
         "missing key 'score'"),
        ("gt_no_ann.json", ["--gt", str(_write(tmp, "gt_no_ann.json", gt_no_ann)), "--pred", str(good_pred)],
         "missing key 'annotations'"),
        ("not_list.json", ["--gt", str(good_gt), "--pred", str(_write(tmp, "not_list.json", {"a": 1}))],
         "JSON list"),
    ]


def test_evaluate_bad_inputs(tmp_path: Path, capsys) -> None:
    for fname, args, problem in _bad_cases(tmp_path):
        rc, out, err = _run(capsys, "evaluate", "--dataset", "coco", *args)
        assert rc == 2, fname
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("error: ") and fname in lines[0] and problem in lines[0], lines[0]


def test_engine_use_area_conflict(tmp_path: Path, capsys) -> None:
    gt = keypoint_gt(14)
    g, p = _write(tmp_path, "gt.json", gt), _write(tmp_path, "pred.json", _results(gt))
    rc, _, err = _run(capsys, "evaluate", "--dataset", "aic", "--gt", str(g), "--pred", str(p),
                      "--engine", "pycocotools")
    assert rc == 2 and "use_area=False" in err and len(err.strip().splitlines()) == 1
