"""OCHuman "(occ)" sets: the occluded keypoints only, or the user's PCT-protocol file."""

from posebh.data.real.ochuman_occ import occ_file, occluded_only


def _coco(*keypoint_lists):
    return {"images": [{"id": i + 1} for i in range(len(keypoint_lists))],
            "annotations": [{"id": i + 1, "image_id": i + 1, "keypoints": kp, "num_keypoints": 0}
                            for i, kp in enumerate(keypoint_lists)], "info": {}}


def test_only_occluded_keypoints_and_their_instances_stay():
    coco = _coco([1, 2, 2, 3, 4, 1, 5, 6, 0], [1, 2, 2, 3, 4, 2, 0, 0, 0])
    out = occluded_only(coco)
    assert [a["id"] for a in out["annotations"]] == [1] and [i["id"] for i in out["images"]] == [1]
    assert out["annotations"][0]["keypoints"] == [0, 0, 0, 3, 4, 1, 0, 0, 0]
    assert out["annotations"][0]["num_keypoints"] == 1 and "derived" in out["info"]["subset"]
    assert coco["annotations"][0]["keypoints"][2] == 2  # the input is untouched


def test_a_users_file_wins_only_where_it_exists(tmp_path):
    params = {"real": {"ochuman_occ": {"val": "o/val_occ.json", "test": "o/test_occ.json"}}}
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "val_occ.json").write_text("{}")
    assert occ_file(tmp_path, params, "val") == tmp_path / "o" / "val_occ.json"
    assert occ_file(tmp_path, params, "test") is None and occ_file(tmp_path, {"real": {}}, "val") is None
