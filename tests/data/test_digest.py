from posebh.data.digest import content_digest


def test_digest_follows_annotations_and_image_bytes_only(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "0.png").write_bytes(b"\x00\x01")
    sets = {"coco_train": {"images": [1], "info": {"x": 1}}, "coco_val": {"images": []}}
    d = content_digest(sets, tmp_path)
    assert d["image_files"] == 1
    assert content_digest(dict(reversed(sets.items())), tmp_path) == d  # order-free
    (tmp_path / "a" / "0.png").write_bytes(b"\x00\x02")
    assert content_digest(sets, tmp_path)["sha256"] != d["sha256"]
    assert content_digest({**sets, "coco_val": {"images": [2]}}, tmp_path)["sha256"] != \
        content_digest(sets, tmp_path)["sha256"]
    assert content_digest(sets, None)["image_files"] == 0  # real data: images are inputs
