import pytest

from posebh.data import splits


def raw_apt(videos_per_species: dict[str, int], frames: int = 3) -> dict:
    """A raw APT-36K-format dict: Windows paths, video_id on images and annotations, is_crowd."""
    images, anns, vid, iid = [], [], 0, 0
    for species, n in videos_per_species.items():
        for v in range(n):
            vid += 1
            for f in range(frames):
                iid += 1
                images.append({"id": iid, "file_name": f"D:\\apt36k\\{species}\\clip{v}\\{f:04d}.png",
                               "width": 64, "height": 64, "video_id": vid})
                anns.append({"id": iid, "image_id": iid, "video_id": vid, "track_id": 0,
                             "category_id": 1, "keypoints": [0] * 51, "num_keypoints": 0,
                             "bbox": [0, 0, 10, 10], "area": 100, "is_crowd": 0})
    return {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "x"}],
            "info": {}, "license": []}


def test_official_rule_exact_assignment():
    raw = raw_apt({"dog": 10, "cat": 5}, frames=3)
    out = splits.split_apt36k(raw, "official")
    # dog: 30 image-level entries, cuts int(31*.7)=21, int(31*.8)=24 -> videos 1..7 train (entries
    # 0..20 cover videos 1..7), entry 21..23 = video 8 -> val, 24..29 = videos 9,10 -> test.
    by_split = {s: sorted({i["video_id"] for i in d["images"]}) for s, d in out.items()}
    # cat: 15 entries, cuts int(16*.7)=11, int(16*.8)=12 -> entries 0..10 = videos 11..14 (14 partly)
    # -> train has 11..14; entry 11 = video 14 (already train); 12..14 = video 15 -> test.
    assert by_split == {"train": [1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14], "val": [8],
                        "test": [9, 10, 15]}
    assert all("/" in i["file_name"] and "\\" not in i["file_name"] for d in out.values()
               for i in d["images"])
    assert out["train"]["images"][0]["file_name"] == "dog/clip0/0000.png"
    assert all("iscrowd" in a and "is_crowd" not in a for d in out.values() for a in d["annotations"])


@pytest.mark.parametrize("rule", ["official", "video-random"])
def test_no_leakage_and_roughly_7_1_2(rule):
    raw = raw_apt({"dog": 20, "cat": 20, "horse": 10}, frames=15)
    out = splits.split_apt36k(raw, rule, seed=0)
    splits.check_no_leakage(out)
    s = splits.summary(out)
    total = sum(v["videos"] for v in s.values())
    assert total == 50
    assert abs(s["train"]["videos"] / total - 0.7) < 0.08
    assert abs(s["test"]["videos"] / total - 0.2) < 0.08
    assert s["train"]["species"] == 3


def test_video_random_is_seeded():
    raw = raw_apt({"dog": 20, "cat": 20})
    a = splits.split_apt36k(raw, "video-random", seed=0)
    b = splits.split_apt36k(raw, "video-random", seed=0)
    c = splits.split_apt36k(raw, "video-random", seed=1)
    ids = lambda o: [i["id"] for i in o["train"]["images"]]  # noqa: E731
    assert ids(a) == ids(b) and ids(a) != ids(c)


def test_bad_inputs_are_clear_errors():
    raw = raw_apt({"dog": 1})
    with pytest.raises(splits.SplitError, match="empty"):
        splits.split_apt36k(raw, "official")
    with pytest.raises(splits.SplitError, match="unknown split rule"):
        splits.split_apt36k(raw_apt({"dog": 10}), "random")
    bad = raw_apt({"dog": 10})
    bad["images"][0]["file_name"] = "flat.png"
    with pytest.raises(splits.SplitError, match="flat.png"):
        splits.split_apt36k(bad, "official")
    leak = {"a": {"images": [{"video_id": 1}]}, "b": {"images": [{"video_id": 1}]}}
    with pytest.raises(splits.SplitError, match="video 1"):
        splits.check_no_leakage(leak)


def test_cli_split_writes_three_files_and_prints_a_summary(tmp_path, capsys):
    import json

    from posebh.commands import main

    raw = tmp_path / "apt36k_annotations.json"
    raw.write_text(json.dumps(raw_apt({"dog": 10, "cat": 10})))
    assert main(["split-apt36k", str(raw), str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "apt36k_test.json", "apt36k_train.json", "apt36k_val.json"]
    assert "train" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text("{")
    assert main(["split-apt36k", str(tmp_path / "bad.json"), str(tmp_path / "o2")]) == 2
    assert "bad.json: malformed JSON" in capsys.readouterr().err
    assert not (tmp_path / "o2").exists()


def test_folder_fixes_of_the_released_script_are_applied():
    raw = raw_apt({"dog": 10})
    bad = next(iter(splits.FOLDER_FIXES))
    raw["images"][0]["file_name"] = f"E:\\data\\dog\\{bad}\\0000.png"
    out = splits.split_apt36k(raw, "official")
    assert out["train"]["images"][0]["file_name"] == f"dog/{splits.FOLDER_FIXES[bad]}/0000.png"
    assert splits.normalise_path("X:\\a\\b\\cat\\clip1\\f.png") == "cat/clip1/f.png"
    assert len(splits.FOLDER_FIXES) == 5
    assert splits.OUTPUT_NAMES == {"train": "apt36k_train.json", "val": "apt36k_val.json",
                                   "test": "apt36k_test.json"}


def test_categories_sorted_and_annotations_follow_their_video():
    raw = raw_apt({"dog": 10})
    raw["categories"] = [{"id": 5, "name": "b"}, {"id": 2, "name": "a"}]
    out = splits.split_apt36k(raw, "official")
    assert [c["id"] for c in out["test"]["categories"]] == [2, 5]
    raw["annotations"][0]["video_id"] = 10  # image 1 is video 1 (train), video 10 is test
    with pytest.raises(splits.SplitError, match="annotation 1 has video_id 10 but its image 1 is in train"):
        splits.split_apt36k(raw, "official")


def test_official_rule_counts_each_image_of_a_video_in_the_cut():
    # videos of unequal length: the cut is over the image-level list, not over distinct videos
    raw = raw_apt({"dog": 0})
    images, anns = [], []
    lengths = [5, 1, 1, 1, 1, 1]  # 10 image entries -> cuts int(11*.7)=7, int(11*.8)=8
    for vid, n in enumerate(lengths, start=1):
        for f in range(n):
            iid = len(images) + 1
            images.append({"id": iid, "file_name": f"D:\\dog\\c{vid}\\{f}.png", "width": 64,
                           "height": 64, "video_id": vid})
            anns.append({"id": iid, "image_id": iid, "video_id": vid, "keypoints": [0] * 51,
                         "bbox": [0, 0, 1, 1], "is_crowd": 0, "category_id": 1})
    raw.update(images=images, annotations=anns)
    out = splits.split_apt36k(raw, "official")
    # entries 0..6 = videos 1,1,1,1,1,2,3 -> train; entry 7 = video 4 -> val; 8, 9 -> test
    assert {s: sorted({i["video_id"] for i in d["images"]}) for s, d in out.items()} == {
        "train": [1, 2, 3], "val": [4], "test": [5, 6]}
    assert [len(d["annotations"]) for d in out.values()] == [7, 1, 2]
