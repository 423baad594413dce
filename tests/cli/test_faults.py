"""Issue #13 E: fault injection over every CLI subcommand and every converter.

Each row writes one bad input under ``tmp_path``, runs the command in-process (``posebh`` =
``posebh.commands.main``, ``real`` = ``python -m posebh.data.real``'s ``main``) and checks: exit
code 2, stdout empty, stderr exactly one line ``error: ...`` containing the expected fragment,
and the output path untouched (absent, or its old content unchanged).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rawfixtures as rf
from support import ROOT

from posebh.commands import main as posebh_main
from posebh.data.real.__main__ import main as real_main

Setup = Callable[[Path], tuple[list[str], "Path | None"]]


@dataclass(frozen=True)
class Fault:
    id: str
    cli: str  # "posebh" or "real"
    setup: Setup  # writes the bad input; returns argv and the output path that must not change
    expect: str  # fragment of the one stderr line
    code: int = field(default=2)


def _set(*keys: Any, value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        for k in keys[:-1]:
            data = data[k]
        data[keys[-1]] = value
    return change


# ----------------------------------------------------------------------------- posebh evaluate

def _eval_gt(k: int = 17) -> dict:
    images, anns = [], []
    for i in (1, 2):
        images.append({"id": i, "file_name": f"{i}.jpg", "width": 640, "height": 480})
        for j in range(2):
            box = (50.0 + 300 * j, 60.0, 200.0, 300.0)
            anns.append({"id": 10 * i + j, "image_id": i, "category_id": 1,
                         "keypoints": rf.kps(k, box), "num_keypoints": k, "bbox": list(box),
                         "area": 60000.0, "iscrowd": 0})
    return {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "person"}]}


def _eval_pred(gt: dict) -> list[dict]:
    return [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"],
             "score": 0.9} for a in gt["annotations"]]


def ev(fid: str, expect: str, gt: Callable | str | bytes | None = None,
       pred: Callable | str | None = None, dataset: str = "coco", k: int = 17,
       args: tuple[str, ...] = ()) -> Fault:
    """An ``evaluate`` row: ``gt``/``pred`` change the good files (callable) or replace their
    content (str or bytes)."""
    def setup(tmp: Path) -> tuple[list[str], Path | None]:
        g = _eval_gt(k)
        p = _eval_pred(g)
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
        g.write_text(json.dumps(_eval_gt()))
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
        ["evaluate", "--dataset", "coco", "--gt", str(rf.dump(t / "gt.json", _eval_gt())),
         "--pred", str(t / "none.json")], None), "none.json: file not found"),
    ev("gt-malformed", "gt.json: malformed JSON", gt='{"images": ['),
    ev("gt-nested", "gt.json: malformed JSON (nested too deeply", gt="[" * 100000 + "]" * 100000),
    ev("gt-binary", "gt.json: not valid JSON text", gt=b"{\"images\": \"\x80\"}"),
    Fault("evaluate-pred-directory", "posebh", _dir_instead("pred_dir"), "pred_dir: cannot read"),
    ev("gt-not-object", "expected a COCO-style JSON object", gt="[1, 2]"),
    ev("gt-dup-ann-id", "annotation id 10 appears twice", gt=_set("annotations", 1, "id", value=10)),
    ev("gt-dup-image-id", "image id 1 appears twice", gt=_set("images", 1, "id", value=1)),
    ev("gt-negative-area", "area -3.0 is negative", gt=_set("annotations", 0, "area", value=-3.0)),
    ev("gt-string-area", "area '60000' is not a finite number",
       gt=_set("annotations", 0, "area", value="60000")),
    ev("gt-string-bbox", "bbox '50 60 200 300' is not [x, y, w, h]",
       gt=_set("annotations", 0, "bbox", value="50 60 200 300")),
    ev("gt-list-id", "annotations[0]: id [10] is not an integer or string id",
       gt=_set("annotations", 0, "id", value=[10])),
    ev("gt-iscrowd-yes", "iscrowd 'yes' is not 0 or 1", gt=_set("annotations", 0, "iscrowd", value="yes")),
    ev("gt-visibility-7", "visibility 7 is not one of [0, 1, 2]",
       gt=_set("annotations", 0, "keypoints", 2, value=7)),
    ev("gt-unknown-category", "category_id 4 is not in categories",
       gt=_set("annotations", 0, "category_id", value=4)),
    ev("gt-keypoint-far", "lies outside the 640x480 image",
       gt=_set("annotations", 0, "keypoints", 0, value=100000.0)),
    ev("gt-no-area", "missing key 'area'", gt=lambda g: g["annotations"][0].pop("area")),
    ev("gt-width-string", "width '640' is not a positive number",
       gt=_set("images", 0, "width", value="640")),
    ev("mpii-no-head-box", "missing key 'head_bbox'", dataset="mpii", k=16),
    ev("pred-unknown-category", "[0]: category_id 2 is not a GT category",
       pred=_set(0, "category_id", value=2)),
    ev("pred-list-image-id", "[1]: image_id [1] is not an integer", pred=_set(1, "image_id", value=[1])),
    ev("pred-unknown-image", "[0]: image_id 9 is absent from the GT", pred=_set(0, "image_id", value=9)),
    ev("pred-string-score", "[0]: score 'high' is not a finite number", pred=_set(0, "score", value="high")),
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


# ----------------------------------------------------------------------------- posebh split-apt36k

def split(fid: str, expect: str, raw: Callable | str | None = None, out: str = "old",
          args: tuple[str, ...] = ()) -> Fault:
    """A ``split-apt36k`` row; ``out``: 'old' (a folder with old outputs), 'file' (a plain file
    where the folder should be), 'under-file' (a folder below a plain file)."""
    def setup(tmp: Path) -> tuple[list[str], Path]:
        path = tmp / "apt36k_annotations.json"
        data = rf.apt36k_raw()
        if isinstance(raw, str):
            path.write_text(raw)
        else:
            if raw is not None:
                raw(data)
            rf.dump(path, data)
        target = tmp / "out"
        if out == "old":
            target.mkdir()
            for s in ("train", "val", "test"):
                (target / f"apt36k_{s}.json").write_text(f'{{"old": "{s}"}}')
        elif out == "file":
            target.write_text("not a folder")
        elif out == "under-file":
            (tmp / "plain").write_text("x")
            target = tmp / "plain" / "out"
        return ["split-apt36k", str(path), str(target), *args], target
    return Fault(f"split-{fid}", "posebh", setup, expect)


SPLIT = [
    Fault("split-raw-missing", "posebh", lambda t: (["split-apt36k", str(t / "raw.json"), str(t / "o")],
                                                    t / "o"), "raw.json: file not found"),
    split("raw-malformed", "malformed JSON", raw="{"),
    split("raw-not-object", "must be a JSON object", raw="[]"),
    split("video-id-null", "video_id None is not an integer or string id",
          raw=_set("images", 0, "video_id", value=None)),
    split("dup-image-id", "image id 1 appears twice", raw=_set("images", 1, "id", value=1)),
    split("backslash-dotdot", "leaves the image folder",
          raw=_set("images", 0, "file_name", value="..\\..\\..\\img.png")),
    split("flat-file-name", "has no <species>", raw=_set("images", 0, "file_name", value="img.png")),
    split("is-crowd-yes", "iscrowd 'yes' is not 0 or 1", raw=_set("annotations", 0, "is_crowd", value="yes")),
    split("unknown-image", "refers to unknown image 99", raw=_set("annotations", 0, "image_id", value=99)),
    split("visibility-7", "visibility 7 is not one of", raw=_set("annotations", 3, "keypoints", 2, value=7)),
    split("empty-split", "split 'val' is empty", raw=lambda r: (r["images"].__delitem__(slice(1, None)),
                                                                r["annotations"].__delitem__(slice(1, None)))),
    split("out-is-file", "exists and is not a directory", out="file"),
    split("out-under-file", "plain is not a directory", out="under-file"),
    split("unknown-rule", "invalid choice: 'random'", args=("--rule", "random")),
    split("seed-not-int", "invalid int value: 'x'", args=("--seed", "x")),
]


# ----------------------------------------------------------------------------- posebh bench / bench-method

def cmd(fid: str, argv: Callable[[Path], list[str]], expect: str, out: str | None = "result.json",
        prepare: Callable[[Path], None] | None = None) -> Fault:
    def setup(tmp: Path) -> tuple[list[str], Path | None]:
        if prepare is not None:
            prepare(tmp)
        return argv(tmp), (tmp / out if out else None)
    return Fault(fid, "posebh", setup, expect)


def _broken_conf(tmp: Path) -> None:
    for profile in ("base", "paper"):
        (tmp / "conf" / profile).mkdir(parents=True)
        (tmp / "conf" / profile / "parameters_train.yml").write_text("model: [unclosed\n")
        (tmp / "conf" / profile / "parameters_method.yml").write_text("method: {}\n")


BENCH = [
    cmd("bench-instances-0", lambda t: ["bench", "--instances", "0", "--out", str(t / "result.json")],
        "--instances and --repeats must be >= 1"),
    cmd("bench-repeats-negative", lambda t: ["bench", "--repeats", "-1", "--out", str(t / "result.json")],
        "--instances and --repeats must be >= 1"),
    cmd("bench-instances-text", lambda t: ["bench", "--instances", "many", "--out", str(t / "result.json")],
        "invalid int value: 'many'"),
    cmd("bench-out-is-dir", lambda t: ["bench", "--instances", "1", "--out", str(t / "result.json")],
        "is a directory", prepare=lambda t: (t / "result.json").mkdir()),
    cmd("bench-out-under-file", lambda t: ["bench", "--instances", "1", "--out", str(t / "f" / "r.json")],
        "is not a directory", out="f", prepare=lambda t: (t / "f").write_text("x")),
    cmd("bench-unknown-option", lambda t: ["bench", "--fast"], "unrecognized arguments: --fast", out=None),
    cmd("bench-method-steps-0", lambda t: ["bench-method", "--steps", "0", "--out", str(t / "result.json")],
        "--steps, --batch-embedded and --batch-vitb must be >= 1"),
    cmd("bench-method-batch-0", lambda t: ["bench-method", "--batch-vitb", "0", "--out",
                                           str(t / "result.json")], "must be >= 1"),
    cmd("bench-method-conf-missing", lambda t: ["bench-method", "--conf", str(t / "noconf"), "--out",
                                                str(t / "result.json")], "cannot read the model/method parameters"),
    cmd("bench-method-conf-broken", lambda t: ["bench-method", "--conf", str(t / "conf"), "--out",
                                               str(t / "result.json")], "cannot read the model/method parameters",
        prepare=_broken_conf),
    cmd("bench-method-out-is-dir", lambda t: ["bench-method", "--conf", str(ROOT / "conf"), "--out",
                                              str(t / "result.json")], "is a directory",
        prepare=lambda t: (t / "result.json").mkdir()),
    cmd("no-subcommand", lambda t: [], "the following arguments are required: command", out=None),
    cmd("unknown-subcommand", lambda t: ["train"], "invalid choice: 'train'", out=None),
]


# ----------------------------------------------------------------------------- python -m posebh.data.real

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
    conv("coco-area-negative", "coco", "annotations", _set("annotations", 0, "area", value=-1),
         "area -1 is negative"),
    conv("coco-area-string", "coco", "annotations", _set("annotations", 0, "area", value="1"),
         "area '1' is not a finite number"),
    conv("coco-dup-ann-id", "coco", "annotations", _set("annotations", 1, "id", value=10),
         "annotation id 10 appears twice"),
    conv("coco-unknown-category", "coco", "annotations", _set("annotations", 0, "category_id", value=7),
         "category_id 7 is not in categories"),
    conv("coco-absolute-file", "coco", "annotations", _set("images", 0, "file_name", value="/etc/hostname"),
         "is an absolute path"),
    conv("coco-backslash-file", "coco", "annotations",
         _set("images", 0, "file_name", value="..\\..\\etc\\hostname"), "contains a backslash"),
    conv("coco-iscrowd-yes", "coco", "annotations", _set("annotations", 0, "iscrowd", value="yes"),
         "iscrowd 'yes' is not 0 or 1"),
    conv("coco-list-image-id", "coco", "annotations", _set("annotations", 0, "image_id", value=[1]),
         "image_id [1] is not an integer or string id"),
    conv("coco-keypoint-far", "coco", "annotations", _kp(1, 1, 100000.0), "lies outside the 64x48 image"),
    conv("coco-not-an-image", "coco", "tree", _text_image, "not a decodable image"),
    conv("coco-declared-size", "coco", "tree", _wrong_size, "image is 64x49 but"),
    conv("det-negative-size", "coco", "detections", _set(0, "bbox", value=[1.0, 1.0, -2.0, 3.0]),
         "has a negative size"),
    conv("det-unknown-image", "coco", "detections", _set(0, "image_id", value=5),
         "image_id 5 is not in the GT images"),
    conv("wholebody-face-length", "coco_wholebody", "annotations",
         _set("annotations", 0, "face_kpts", value=[0] * 201), "face_kpts has 201 values, expected 204"),
    conv("wholebody-valid-flag", "coco_wholebody", "annotations",
         _set("annotations", 1, "lefthand_valid", value="no"), "lefthand_valid 'no' is not true/false"),
    conv("aic-box-strings", "aic", "annotations",
         _set(1, "human_annotations", "human1", value=["8", "6", "48", "36"]), "is not [x1, y1, x2, y2]"),
    conv("aic-visibility-4", "aic", "annotations",
         lambda raw: raw[0]["keypoint_annotations"]["human1"].__setitem__(2, 4), "visibility 4 of keypoint 0"),
    conv("mpii-joints-vis-strings", "mpii", "annotations", _set(1, "joints_vis", value=["0"] * 16),
         "joints_vis value '0' is not 0 or 1"),
    conv("mpii-scale-negative", "mpii", "annotations", _set(0, "scale", value=-0.5),
         "scale -0.5 missing or malformed"),
    conv("ap10k-unknown-species", "ap10k", "annotations", _set("annotations", 0, "category_id", value=1),
         "category_id 1 is not in categories [26]"),
    conv("apt36k-video-id-null", "apt36k", "annotations", _set("images", 2, "video_id", value=None),
         "video_id None is not an integer or string id"),
    conv("apt36k-dotdot-name", "apt36k", "annotations",
         _set("images", 0, "file_name", value="..\\..\\..\\x.png"), "leaves the image folder"),
    conv("interhand-joint-valid-strings", "interhand2d", "annotations",
         _set("annotations", 0, "joint_valid", value="all"), "joint_valid"),
    conv("interhand-camrot-2x2", "interhand2d", "camera", _set("1", "camrot", "c1", value=[[1, 0], [0, 1]]),
         "camrot has shape (2, 2), expected (3, 3)"),
    conv("interhand-world-nan", "interhand2d", "joints",
         lambda j: j["1"]["5"]["world_coord"][0].__setitem__(0, float("nan")), "world_coord has shape"),
    conv("pw3d-sequence-absolute", "pw3d", "annotations", _set("images", 0, "sequence", value="/tmp"),
         "is an absolute path"),
    conv("pw3d-joint-string", "pw3d", "annotations",
         _set("annotations", 0, "smpl_joint_img", 0, value=["1", "2", "x"]), "smpl_joint_img holds a non-number"),
    conv("ochuman-wrong-skeleton", "ochuman", "annotations",
         _set("annotations", 0, "keypoints", value=rf.kps(14)), "keypoints has 42 values, expected 51"),
    conv("ochuman-dup-image", "ochuman", "annotations", _set("images", 1, "id", value=1),
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

ROWS: list[Fault] = EVALUATE + SPLIT + BENCH + CONVERT


def _snapshot(path: Path | None) -> Any:
    """Everything under ``path`` (file bytes by relative name), or None when it does not exist."""
    if path is None or not (path.exists() or path.is_symlink()):
        return None
    if path.is_file():
        return path.read_bytes()
    return {str(p.relative_to(path)): (p.read_bytes() if p.is_file() else "dir")
            for p in sorted(path.rglob("*"))}


def test_the_table_covers_every_command_and_converter() -> None:
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids)) and len(ids) >= 60
    for prefix in ("evaluate-", "split-", "bench-", "bench-method-", "real-fetch-", "real-convert-"):
        assert any(i.startswith(prefix) for i in ids), prefix
    for dataset in ("coco", "wholebody", "aic", "mpii", "ap10k", "apt36k", "interhand", "pw3d",
                    "ochuman", "det"):
        assert any(i.startswith(f"convert-{dataset}-") for i in ids), dataset
    assert any(i.startswith("split-") for i in ids)  # the APT-36K splitter's own CLI


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_fault(tmp_path: Path, capsys, row: Fault) -> None:
    argv, out = row.setup(tmp_path)
    before = _snapshot(out)
    capsys.readouterr()
    entry = posebh_main if row.cli == "posebh" else real_main
    rc = entry(argv)
    cap = capsys.readouterr()
    assert rc == row.code, (cap.out, cap.err)
    lines = cap.err.splitlines()
    assert len(lines) == 1, cap.err
    assert lines[0].startswith("error: ") and row.expect in lines[0], lines[0]
    if row.id != "real-fetch-missing-files":  # that one lists where to get each file on stdout
        assert cap.out == "", cap.out
    assert _snapshot(out) == before  # nothing written, old output unchanged
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob(".*.old"))


def test_a_good_conversion_replaces_the_old_output(tmp_path: Path, capsys) -> None:
    """The same setup without the fault succeeds: the rows fail for their fault alone."""
    files = rf.coco(tmp_path)
    params = rf.params_file(tmp_path, "coco", files)
    out = tmp_path / "out"
    out.mkdir()
    (out / "coco_val.json").write_text('{"old": true}')
    assert real_main(["--params", str(params), "convert", "coco", "--out", str(out)]) == 0
    assert json.loads((out / "coco_val.json").read_text())["info"]["dataset"] == "coco"
    g, p = rf.dump(tmp_path / "gt.json", _eval_gt()), rf.dump(tmp_path / "pred.json", _eval_pred(_eval_gt()))
    assert posebh_main(["evaluate", "--dataset", "coco", "--gt", str(g), "--pred", str(p), "--json-only"]) == 0
    assert np.isclose(json.loads(capsys.readouterr().out.splitlines()[-1])["AP"], 1.0)
