"""APT-36K: the official video split into three files, and its one-line errors."""

from __future__ import annotations

import pytest
from support import one_line

from posebh.data import splits
from posebh.data.errors import DataError
from posebh.data.real import convert_apt36k
from posebh.data.real.miniature import FIXED, apt36k_raw, write_json


@pytest.mark.parametrize("disk_spelling", ["fixed", "raw"])
def test_apt36k_split_converts_three_files_with_video_ids(tmp_path, disk_spelling):
    apt36k_raw(tmp_path, disk_spelling=disk_spelling)
    files = {"annotations": tmp_path / "apt36k/annotations/apt36k_annotations.json",
             "images": tmp_path / "apt36k/images"}
    parts, summary = convert_apt36k.convert(files, rule="official")
    # one species, 10 single-frame videos: cuts int(11*.7)=7, int(11*.8)=8
    assert {s: [i["video_id"] for i in p["images"]] for s, p in parts.items()} == {
        "train": [1, 2, 3, 4, 5, 6, 7], "val": [8], "test": [9, 10]}
    assert summary == {"train": {"videos": 7, "images": 7, "instances": 7, "species": 1},
                       "val": {"videos": 1, "images": 1, "instances": 1, "species": 1},
                       "test": {"videos": 2, "images": 2, "instances": 2, "species": 1}}
    clip2 = parts["train"]["images"][1]["file_name"]
    assert clip2 == f"dog/{splits.FOLDER_FIXES[FIXED] if disk_spelling == 'fixed' else FIXED}/img0001.png"
    ann = parts["train"]["annotations"][0]
    assert ann["iscrowd"] == 0 and "is_crowd" not in ann
    assert (ann["video_id"], ann["track_id"], ann["category_id"]) == (1, 1, 3)
    assert [c["id"] for c in parts["val"]["categories"]] == [1, 3]
    assert parts["test"]["info"]["split_rule"] == "official"
    from posebh.data.real.files import check_images

    for part in parts.values():
        check_images(part, files["images"], files["annotations"])


def test_apt36k_empty_split_and_broken_raw(tmp_path):
    apt36k_raw(tmp_path, videos=1)
    files = {"annotations": tmp_path / "apt36k/annotations/apt36k_annotations.json",
             "images": tmp_path / "apt36k/images"}
    with pytest.raises(DataError) as err:
        convert_apt36k.convert(files)
    one_line(err, files["annotations"], "cannot split: split 'val' is empty")
    raw = apt36k_raw(tmp_path)
    del raw["annotations"][0]["image_id"]
    write_json(files["annotations"], raw)
    with pytest.raises(DataError) as err:
        convert_apt36k.convert(files)
    one_line(err, files["annotations"], "lacks key 'image_id'")
