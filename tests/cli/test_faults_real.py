"""Fault rows of ``python -m posebh.data.real`` (convert, per converter, and fetch; see faultkit.py
for what each row checks), and the same setup without a fault succeeding."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rawfixtures as rf
from faultkit import Fault, eval_gt, eval_pred, run_fault, set_at

from posebh.commands import main as posebh_main
from posebh.data.real.__main__ import main as real_main


def conv(fid: str, dataset: str, role: str, change: Callable, expect: str) -> Fault:
    """A ``convert`` row: the dataset's valid raw files, ``change`` applied to the file of
    ``role`` (or to the tree for role 'tree'), an out folder holding an old output."""
    def setup(tmp: Path) -> tuple[list[str], Path]:
        files = rf.WRITERS[dataset](tmp)
        if role == "tree":
            change(tmp)
        else:
            rf.rewrite(tmp / files[role], change)
        params = rf.params_file(tmp, dataset, files)
        out = tmp / "out"
        out.mkdir()
        (out / f"{dataset}_val.json").write_text('{"old": true}')
        return ["--params", str(params), "convert", dataset, "--out", str(out)], out
    return Fault(f"convert-{fid}", "real", setup, expect)


def _kp(ann: int, index: int, value: Any) -> Callable[[Any], None]:
    return lambda raw: raw["annotations"][ann]["keypoints"].__setitem__(index, value)


def _text_image(tmp: Path) -> None:
    (tmp / "coco/images/im1.jpg").write_text("hello")


def _wrong_size(tmp: Path) -> None:
    rf.image(tmp / "coco/images/im2.jpg", 64, 49)


def real(fid: str, argv: Callable[[Path], list[str]], expect: str, out: str | None = None) -> Fault:
    return Fault(f"real-{fid}", "real", lambda t: (argv(t), t / out if out else None), expect)


def _params_only(tmp: Path) -> Path:
    return rf.params_file(tmp, "coco", rf.coco(tmp))


def _broken_params(tmp: Path) -> Path:
    path = tmp / "params.yml"
    path.write_text("data: [unclosed\n")
    return path


CONVERT = [
    conv("coco-visibility-7", "coco", "annotations", _kp(0, 2, 7), "visibility 7 is not one of"),
    conv("coco-visibility-neg", "coco", "annotations", _kp(0, 5, -1), "visibility -1 is not one of"),
    conv("coco-area-negative", "coco", "annotations", set_at("annotations", 0, "area", value=-1),
         "area -1 is negative"),
    conv("coco-area-string", "coco", "annotations", set_at("annotations", 0, "area", value="1"),
         "area '1' is not a finite number"),
    conv("coco-dup-ann-id", "coco", "annotations", set_at("annotations", 1, "id", value=10),
         "annotation id 10 appears twice"),
    conv("coco-unknown-category", "coco", "annotations", set_at("annotations", 0, "category_id", value=7),
         "category_id 7 is not in categories"),
    conv("coco-absolute-file", "coco", "annotations", set_at("images", 0, "file_name", value="/etc/hostname"),
         "is an absolute path"),
    conv("coco-backslash-file", "coco", "annotations",
         set_at("images", 0, "file_name", value="..\\..\\etc\\hostname"), "contains a backslash"),
    conv("coco-iscrowd-yes", "coco", "annotations", set_at("annotations", 0, "iscrowd", value="yes"),
         "iscrowd 'yes' is not 0 or 1"),
    conv("coco-list-image-id", "coco", "annotations", set_at("annotations", 0, "image_id", value=[1]),
         "image_id [1] is not an integer or string id"),
    conv("coco-keypoint-far", "coco", "annotations", _kp(1, 1, 100000.0), "lies outside the 64x48 image"),
    conv("coco-not-an-image", "coco", "tree", _text_image, "not a decodable image"),
    conv("coco-declared-size", "coco", "tree", _wrong_size, "image is 64x49 but"),
    conv("det-negative-size", "coco", "detections", set_at(0, "bbox", value=[1.0, 1.0, -2.0, 3.0]),
         "has a negative size"),
    conv("det-unknown-image", "coco", "detections", set_at(0, "image_id", value=5),
         "image_id 5 is not in the GT images"),
    conv("wholebody-face-length", "coco_wholebody", "annotations",
         set_at("annotations", 0, "face_kpts", value=[0] * 201), "face_kpts has 201 values, expected 204"),
    conv("wholebody-valid-flag", "coco_wholebody", "annotations",
         set_at("annotations", 1, "lefthand_valid", value="no"), "lefthand_valid 'no' is not true/false"),
    conv("aic-box-strings", "aic", "annotations",
         set_at(1, "human_annotations", "human1", value=["8", "6", "48", "36"]), "is not [x1, y1, x2, y2]"),
    conv("aic-visibility-4", "aic", "annotations",
         lambda raw: raw[0]["keypoint_annotations"]["human1"].__setitem__(2, 4), "visibility 4 of keypoint 0"),
    conv("mpii-joints-vis-strings", "mpii", "annotations", set_at(1, "joints_vis", value=["0"] * 16),
         "joints_vis value '0' is not 0 or 1"),
    conv("mpii-scale-negative", "mpii", "annotations", set_at(0, "scale", value=-0.5),
         "scale -0.5 missing or malformed"),
    conv("ap10k-unknown-species", "ap10k", "annotations", set_at("annotations", 0, "category_id", value=1),
         "category_id 1 is not in categories [26]"),
    conv("apt36k-video-id-null", "apt36k", "annotations", set_at("images", 2, "video_id", value=None),
         "video_id None is not an integer or string id"),
    conv("apt36k-dotdot-name", "apt36k", "annotations",
         set_at("images", 0, "file_name", value="..\\..\\..\\x.png"), "leaves the image folder"),
    conv("interhand-joint-valid-strings", "interhand2d", "annotations",
         set_at("annotations", 0, "joint_valid", value="all"), "joint_valid"),
    conv("interhand-camrot-2x2", "interhand2d", "camera", set_at("1", "camrot", "c1", value=[[1, 0], [0, 1]]),
         "camrot has shape (2, 2), expected (3, 3)"),
    conv("interhand-world-nan", "interhand2d", "joints",
         lambda j: j["1"]["5"]["world_coord"][0].__setitem__(0, float("nan")), "world_coord has shape"),
    conv("pw3d-sequence-absolute", "pw3d", "annotations", set_at("images", 0, "sequence", value="/tmp"),
         "is an absolute path"),
    conv("pw3d-joint-string", "pw3d", "annotations",
         set_at("annotations", 0, "smpl_joint_img", 0, value=["1", "2", "x"]), "smpl_joint_img holds a non-number"),
    conv("ochuman-wrong-skeleton", "ochuman", "annotations",
         set_at("annotations", 0, "keypoints", value=rf.kps(14)), "keypoints has 42 values, expected 51"),
    conv("ochuman-dup-image", "ochuman", "annotations", set_at("images", 1, "id", value=1),
         "image id 1 appears twice"),
    real("convert-no-entry", lambda t: ["--params", str(_params_only(t)), "convert", "mpii", "--out",
                                        str(t / "out")], "data.real.files has no entry 'mpii'", out="out"),
    real("convert-out-is-file", lambda t: ["--params", str(_params_only(t)), "convert", "coco", "--out",
                                           str(rf.dump(t / "out", {"old": 1}))], "exists and is not a directory",
         out="out"),
    real("params-missing", lambda t: ["--params", str(t / "none.yml"), "convert", "coco", "--out",
                                      str(t / "out")], "none.yml: cannot read data.image_root", out="out"),
    real("params-broken-yaml", lambda t: ["--params", str(_broken_params(t)), "fetch", "coco"],
         "cannot read data.image_root"),
    real("fetch-unknown-dataset", lambda t: ["--params", str(_params_only(t)), "fetch", "lsp"],
         "no manifest entry for dataset 'lsp'"),
    real("fetch-missing-files", lambda t: ["--params", str(rf.params_file(t, "coco", {})), "fetch", "pw3d"],
         "raw file(s) missing"),
    real("convert-missing-out", lambda t: ["--params", str(_params_only(t)), "convert", "coco"],
         "the following arguments are required: --out"),
    real("unknown-command", lambda t: ["check", "coco"], "invalid choice: 'check'"),
]


@pytest.mark.parametrize("row", CONVERT, ids=[r.id for r in CONVERT])
def test_fault(tmp_path: Path, capsys, row: Fault) -> None:
    run_fault(row, tmp_path, capsys)


def test_a_good_conversion_replaces_the_old_output(tmp_path: Path, capsys) -> None:
    """The same setup without the fault succeeds: the rows fail for their fault alone."""
    files = rf.coco(tmp_path)
    params = rf.params_file(tmp_path, "coco", files)
    out = tmp_path / "out"
    out.mkdir()
    (out / "coco_val.json").write_text('{"old": true}')
    assert real_main(["--params", str(params), "convert", "coco", "--out", str(out)]) == 0
    assert json.loads((out / "coco_val.json").read_text())["info"]["dataset"] == "coco"
    g, p = rf.dump(tmp_path / "gt.json", eval_gt()), rf.dump(tmp_path / "pred.json", eval_pred(eval_gt()))
    assert posebh_main(["evaluate", "--dataset", "coco", "--gt", str(g), "--pred", str(p), "--json-only"]) == 0
    assert np.isclose(json.loads(capsys.readouterr().out.splitlines()[-1])["AP"], 1.0)
