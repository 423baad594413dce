"""The miniature raw tree (``posebh miniature-raw``; the download stage of profile paper_smoke)
holds every file conf/paper reads, in real formats, with figures drawn where the keypoints are."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image
from support import paper_real_params

from posebh.commands import main
from posebh.data.real.miniature import write_image, write_miniature
from posebh.pipelines.download.nodes import fetch_raw


def _paths(files: dict) -> list[str]:
    return [p for split in files.values() for p in split.values()]


def test_the_miniature_tree_holds_every_file_the_paper_profile_reads(tmp_path):
    written = write_miniature(tmp_path)
    assert written == ["aic", "ap10k", "apt36k", "coco", "coco_wholebody", "interhand2d", "mpii",
                       "ochuman", "pw3d"]
    missing = [p for ds in paper_real_params()["real"]["files"].values() for p in _paths(ds)
               if not (tmp_path / p).exists()]
    assert missing == []
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    write_miniature(tmp_path)  # deterministic: a rewrite gives the same bytes
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_a_figure_is_drawn_on_each_labelled_keypoint(tmp_path):
    write_miniature(tmp_path)
    raw = json.loads((tmp_path / "coco/annotations/person_keypoints_val2017.json").read_text())
    img = np.asarray(Image.open(tmp_path / "coco/val2017/000000000785.jpg"))
    assert img.shape == (425, 640, 3)  # real size
    ann = raw["annotations"][0]
    x, y, _ = ann["keypoints"][:3]
    background = np.array([90, 120, 150])
    assert np.abs(img[int(y), int(x)].astype(int) - background).sum() > 60  # drawn
    assert np.abs(img[400, 20].astype(int) - background).sum() < 15  # far away: background


def test_an_unlabelled_keypoint_is_not_drawn(tmp_path):
    write_image(tmp_path / "a.png", 40, 40, [[10, 10, 0, 30, 30, 2]])
    img = np.asarray(Image.open(tmp_path / "a.png"))
    assert tuple(img[10, 10]) == (90, 120, 150) and tuple(img[30, 30]) != (90, 120, 150)


def test_cli_writes_the_tree(tmp_path, capsys):
    assert main(["miniature-raw", "--root", str(tmp_path / "raw")]) == 0
    assert "ochuman" in capsys.readouterr().out
    assert (tmp_path / "raw/mpii/annotations/mpii_gt_val.mat").is_file()
    (tmp_path / "file").write_text("x")
    assert main(["miniature-raw", "--root", str(tmp_path / "file")]) == 2


def test_the_download_node_writes_the_miniature_tree_when_asked(tmp_path):
    params = paper_real_params()
    params["image_root"] = str(tmp_path)
    params["real"]["miniature"] = True
    status = fetch_raw(("coco", "mpii"), params)
    assert status["source"] == "real" and set(status["datasets"]) == {"coco", "mpii"}
    assert (tmp_path / "coco/person_detection_results").is_dir()
