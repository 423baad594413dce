"""``posebh predict``: COCO results + overlays on a folder of images; one-line errors on bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from tiny import TINY_64

from posebh import skeletons
from posebh.commands import main
from posebh.models.config import ModelConfig
from posebh.models.multihead import MultiHeadPose
from posebh.zoo.checkpoint import to_checkpoint

SIZES = ((80, 60), (50, 90), (64, 64))  # (h, w)


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("predict")
    images = root / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate(SIZES):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(images / f"im{i}.png")
    (images / "notes.txt").write_text("not an image")
    torch.manual_seed(0)
    ckpt = root / "model.pt"
    torch.save(to_checkpoint(MultiHeadPose(ModelConfig(**TINY_64, depth=1,
                                                       datasets=("coco", "ap10k")))), ckpt)
    return ckpt, images


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _one_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for f in fragments:
        assert f in lines[0], (f, lines[0])


def test_whole_image_boxes_and_overlays(setup, tmp_path: Path, capsys) -> None:
    ckpt, images = setup
    out, ov = tmp_path / "res.json", tmp_path / "overlays"
    rc, stdout, err = _run(capsys, "predict", "--checkpoint", str(ckpt), "--dataset", "ap10k",
                           "--images", str(images), "--out", str(out), "--overlays", str(ov),
                           "--min-score", "0")
    assert rc == 0, err
    assert "whole image as the box" in stdout
    res = json.loads(out.read_text())
    k = skeletons.get("ap10k").num_keypoints
    assert sorted(r["image_id"] for r in res) == [1, 2, 3]
    for r in res:
        assert set(r) == {"image_id", "category_id", "keypoints", "score"}
        assert len(r["keypoints"]) == 3 * k
        assert all(math.isfinite(v) for v in r["keypoints"]) and math.isfinite(r["score"])
    for i, (h, w) in enumerate(SIZES):
        with Image.open(ov / f"im{i}.png") as im:
            assert im.size == (w, h) and im.format == "PNG"


def test_detector_boxes_by_file_name_and_image_id(setup, tmp_path: Path, capsys) -> None:
    ckpt, images = setup
    dets = [{"file_name": "im1.png", "bbox": [5, 5, 40, 30], "score": 0.9},
            {"image_id": 3, "category_id": 1, "bbox": [0, 0, 30, 30], "score": 0.8},
            {"image_id": 3, "bbox": [10, 10, 20, 20], "score": 0.01}]
    boxes = tmp_path / "dets.json"
    boxes.write_text(json.dumps(dets))
    out = tmp_path / "res.json"
    rc, stdout, err = _run(capsys, "predict", "--checkpoint", str(ckpt), "--dataset", "coco",
                           "--images", str(images), "--boxes", str(boxes), "--det-thr", "0.1",
                           "--out", str(out), "--no-flip")
    assert rc == 0, err
    assert "whole image" not in stdout
    res = json.loads(out.read_text())
    assert sorted(r["image_id"] for r in res) == [2, 3]
    assert all(len(r["keypoints"]) == 3 * 17 for r in res)


def test_unknown_head_lists_the_heads(setup, tmp_path: Path, capsys) -> None:
    ckpt, images = setup
    out = tmp_path / "res.json"
    rc, _, err = _run(capsys, "predict", "--checkpoint", str(ckpt), "--dataset", "mpii",
                      "--images", str(images), "--out", str(out))
    assert rc == 2 and not out.exists()
    _one_error(err, "mpii", "heads: coco, ap10k")


def test_no_images_in_the_folder(setup, tmp_path: Path, capsys) -> None:
    ckpt, _ = setup
    empty = tmp_path / "empty"
    empty.mkdir()
    rc, _, err = _run(capsys, "predict", "--checkpoint", str(ckpt), "--dataset", "coco",
                      "--images", str(empty), "--out", str(tmp_path / "r.json"))
    assert rc == 2
    _one_error(err, str(empty), "no images found")


def test_undecodable_image_is_named(setup, tmp_path: Path, capsys) -> None:
    ckpt, images = setup
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.png").write_bytes((images / "im0.png").read_bytes())
    (bad / "b.jpg").write_bytes(b"\xff\xd8 definitely not a jpeg")
    rc, _, err = _run(capsys, "predict", "--checkpoint", str(ckpt), "--dataset", "coco",
                      "--images", str(bad), "--out", str(tmp_path / "r.json"))
    assert rc == 2 and not (tmp_path / "r.json").exists()
    _one_error(err, str(bad / "b.jpg"), "cannot decode")


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "cannot read the boxes"),
    ('{"a": 1}', "expected a JSON list"),
    ('[{"file_name": "nope.png", "bbox": [0, 0, 5, 5], "score": 1}]', "nope.png"),
    ('[{"image_id": 9, "bbox": [0, 0, 5, 5], "score": 1}]', "image_id in 1..3"),
    ('[{"image_id": 1, "bbox": [0, 0], "score": 1}]', "bbox"),
])
def test_bad_boxes_file(setup, tmp_path: Path, capsys, content: str, fragment: str) -> None:
    ckpt, images = setup
    boxes = tmp_path / "dets.json"
    boxes.write_text(content)
    rc, _, err = _run(capsys, "predict", "--checkpoint", str(ckpt), "--dataset", "coco",
                      "--images", str(images), "--boxes", str(boxes), "--out", str(tmp_path / "r.json"))
    assert rc == 2
    _one_error(err, str(boxes), fragment)


@pytest.mark.parametrize("write, fragment", [
    (lambda f: torch.save({"epoch": 3}, f), "no weights"),  # a torch file without weights
    # torch.load raises struct.error on a file shorter than its header: one line, no traceback
    (lambda f: f.write_bytes(b"junk"), "not a checkpoint file"),
], ids=["no-weights", "junk-bytes"])
def test_not_a_checkpoint(setup, tmp_path: Path, capsys, write, fragment: str) -> None:
    _, images = setup
    junk = tmp_path / "junk.pt"
    write(junk)
    rc, _, err = _run(capsys, "predict", "--checkpoint", str(junk), "--dataset", "coco",
                      "--images", str(images), "--out", str(tmp_path / "r.json"))
    assert rc == 2
    _one_error(err, str(junk), fragment)
