"""OCHuman: COCO-style with the COCO skeleton; ``python -m posebh.data.real`` converts it."""

from __future__ import annotations

import json

import yaml
from support import paper_real_params

from posebh.data.real import convert_ochuman
from posebh.data.real.miniature import ochuman_raw


def test_ochuman_is_coco_style_with_the_coco_skeleton(tmp_path):
    raw = ochuman_raw(tmp_path)
    out = convert_ochuman.convert({
        "annotations": tmp_path / "ochuman/annotations/ochuman_coco_format_test_range_0.00_1.00.json",
        "images": tmp_path / "ochuman/images"})
    assert out["info"]["dataset"] == "ochuman" and out["info"]["skeleton"] == "coco"
    assert out["annotations"][0]["keypoints"] == raw["annotations"][0]["keypoints"]
    assert "segmentation" not in out["annotations"][0]


def test_module_cli_converts_ochuman_and_reports_errors(tmp_path, capsys):
    from posebh.data.real.__main__ import main

    ochuman_raw(tmp_path, "val")
    ochuman_raw(tmp_path, "test")
    params = paper_real_params()
    params["image_root"] = str(tmp_path)
    conf = tmp_path / "params.yml"
    conf.write_text(yaml.safe_dump({"data": params}))
    assert main(["--params", str(conf), "convert", "ochuman", "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ochuman_test.json",
                                                                   "ochuman_val.json"]
    assert json.loads((tmp_path / "out/ochuman_test.json").read_text())["info"]["dataset"] == "ochuman"
    assert main(["--params", str(conf), "fetch", "ochuman"]) == 0
    assert main(["--params", str(conf), "fetch", "pw3d"]) == 2
    assert "raw file(s) missing" in capsys.readouterr().err
