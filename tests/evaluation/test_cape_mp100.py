"""The MP-100 converter on real-format files written here (no images needed), and the split check."""

import json

import numpy as np
import pytest

from posebh.data.errors import DataError
from posebh.evaluation.cape_mp100 import (
    check_mp100_splits,
    mp100_category_splits,
    mp100_file,
    read_mp100,
)
from posebh.evaluation.cape_pck import evaluate_cape

SKELETONS = {"bed": 9, "fly_body": 31, "sofa": 12, "tern_body": 15, "zebra_body": 17}  # name -> J


def mp100_doc(names: list[str], per_category: int = 20, seed: int = 0) -> dict:
    """A COCO-style MP-100 file: one image (and folder) per instance, as the real files are."""
    rng = np.random.default_rng(seed)
    cats, images, anns = [], [], []
    for cid, name in enumerate(sorted(SKELETONS), start=1):
        j = SKELETONS[name]
        cats.append({"id": cid, "name": name, "supercategory": name.split("_")[0],
                     "keypoints": [f"kp{k}" for k in range(j)],
                     "skeleton": [[k, k + 1] for k in range(1, j)]})
        if name not in names:
            continue
        for _ in range(per_category):
            iid = 1000 * cid + len(images)
            images.append({"id": iid, "file_name": f"{name}/{iid:012d}.jpg", "width": 320,
                           "height": 240})
            x, y = rng.uniform(10, 100, 2)
            w, h = rng.uniform(60, 120, 2)
            xy = np.stack([x + rng.uniform(0, w, j), y + rng.uniform(0, h, j)], axis=1)
            v = (rng.uniform(size=j) > 0.2) * 2
            kps = np.concatenate([xy * v[:, None].clip(0, 1), v[:, None]], axis=1)  # 0,0,0 if unlabelled
            anns.append({"id": len(anns) + 1, "image_id": iid, "category_id": cid,
                         "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
                         "area": round(w * h, 2), "iscrowd": 0, "num_keypoints": int((v > 0).sum()),
                         "keypoints": [round(float(t), 2) for t in kps.ravel()]})
    return {"info": {"description": "MP-100 fixture"}, "images": images, "annotations": anns,
            "categories": cats}


def write(path, doc) -> str:
    path.write_text(json.dumps(doc))
    return str(path)


def test_reads_categories_instances_and_boxes(tmp_path):
    doc = mp100_doc(["bed", "zebra_body"], per_category=18)
    got = read_mp100(write(tmp_path / "mp100_split1_test.json", doc))
    assert list(got) == ["bed", "zebra_body"]  # listed categories without instances are left out
    assert [len(v) for v in got.values()] == [18, 18]
    a = doc["annotations"][0]
    first = got["bed"][0]
    assert first.keypoints.shape == (9, 3) and first.image_file == "bed/000000001000.jpg"
    np.testing.assert_array_equal(first.keypoints.ravel(), a["keypoints"])
    x, y, w, h = a["bbox"]
    np.testing.assert_allclose(first.box, [x, y, w - 1, h - 1])  # POMNet's clean box (inclusive)


def test_pomnet_skip_and_clip_rules(tmp_path):
    doc = mp100_doc(["sofa"], per_category=6)
    anns = doc["annotations"]
    anns[0]["bbox"] = [-5.0, 10.0, 500.0, 400.0]  # clipped to the 320 x 240 image
    anns[1]["iscrowd"] = 1
    anns[2]["keypoints"] = [0] * len(anns[2]["keypoints"])
    anns[3]["num_keypoints"] = 0
    anns[4]["bbox"] = [400.0, 10.0, 20.0, 20.0]  # outside the image: empty after clipping
    del anns[5]["bbox"]
    doc["annotations"] = anns[::-1]  # order comes from image id, not the file
    got = read_mp100(write(tmp_path / "f.json", doc))
    assert len(got["sofa"]) == 1
    np.testing.assert_allclose(got["sofa"][0].box, [0.0, 10.0, 319.0, 229.0])
    doc2 = mp100_doc(["sofa"], per_category=4)
    doc2["annotations"] = doc2["annotations"][::-1]
    ids = [i.image_id for i in read_mp100(write(tmp_path / "g.json", doc2))["sofa"]]
    assert ids == sorted(ids)


def test_the_evaluator_runs_on_a_converted_file(tmp_path):
    got = read_mp100(write(tmp_path / "mp100_split1_test.json", mp100_doc(["fly_body", "tern_body"])))
    truth = {id(i.box): i.keypoints[:, :2] for c in got.values() for i in c}
    for shots in (1, 5):
        r = evaluate_cape(got, lambda s, q: truth[id(q.box)], shots, num_episodes=3)
        assert r.per_category == {"fly_body": 100.0, "tern_body": 100.0}
    shifted = evaluate_cape(got, lambda s, q: truth[id(q.box)] + [20.0, 0.0], 1, num_episodes=3)
    assert 0.0 < shifted.mean < 100.0  # 20 px vs 0.2 max(w, h), 12 to 24 px: some hit


@pytest.mark.parametrize("edit, message", [
    (lambda d: [], "expected a JSON object"),
    (lambda d: {**d, "annotations": {}}, "'annotations' must be a list of objects"),
    (lambda d: {**d, "categories": d["categories"] + [d["categories"][0]]}, "given twice"),
    (lambda d: {**d, "images": [{**d["images"][0], "width": 0}, *d["images"][1:]]},
     "positive 'width'"),
    (lambda d: {**d, "annotations": [{**d["annotations"][0], "image_id": 7}]},
     "annotation 1: image_id 7 is not in 'images'"),
    (lambda d: {**d, "annotations": [{**d["annotations"][0], "category_id": 99}]},
     "annotation 1: category_id 99 is not in 'categories'"),
    (lambda d: {**d, "annotations": [{**d["annotations"][0], "bbox": [1, 2, 3]}]},
     "'bbox' must be 4 finite numbers"),
    (lambda d: {**d, "annotations": [{**d["annotations"][0], "keypoints": [1, 2, 2] * 8}]},
     "annotation 1: 24 keypoint numbers, category 'bed' names 9 keypoints"),
    (lambda d: {**d, "annotations": [{**d["annotations"][0], "keypoints": ["a"] * 27}]},
     "'keypoints' must be a non-empty list of finite numbers"),
    (lambda d: {**d, "annotations": d["annotations"][:1] * 2}, "each id once"),
])
def test_bad_files_give_one_line_naming_the_file(tmp_path, edit, message):
    path = write(tmp_path / "mp100_split3_val.json", edit(mp100_doc(["bed"], per_category=2)))
    with pytest.raises(DataError) as err:
        read_mp100(path)
    text = str(err.value)
    assert text.startswith(path + ": ") and message in text and "\n" not in text


def test_unreadable_files_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="mp100_split1_test.json: file not found"):
        read_mp100(tmp_path / "mp100_split1_test.json")
    (tmp_path / "t.json").write_text('{"images": [')
    with pytest.raises(DataError, match="t.json: malformed JSON"):
        read_mp100(tmp_path / "t.json")


def write_splits(root, test_of: dict[int, list[str]]) -> None:
    """Five splits over SKELETONS: split s tests test_of[s], validates the next split's, trains on
    the rest."""
    names = sorted(SKELETONS)
    for s in range(1, 6):
        val = test_of[s % 5 + 1]
        parts = {"test": test_of[s], "val": val,
                 "train": [n for n in names if n not in test_of[s] and n not in val]}
        for part, cats in parts.items():
            write(mp100_file(root, s, part), mp100_doc(cats, per_category=2, seed=s))


def test_the_split_check_passes_the_rule_and_names_a_break(tmp_path):
    names = sorted(SKELETONS)
    write_splits(tmp_path, {s: [names[s - 1]] for s in range(1, 6)})
    splits = check_mp100_splits(tmp_path, expected_sizes=(3, 1, 1))
    assert [sorted(s.test) for s in splits] == [[n] for n in names]
    assert splits == mp100_category_splits(tmp_path)
    write(mp100_file(tmp_path, 2, "test"), mp100_doc([names[0], names[1]], per_category=2))
    with pytest.raises(DataError) as err:
        check_mp100_splits(tmp_path)
    text = str(err.value)
    assert text.startswith(f"{tmp_path}: MP-100 category splits break the rule") and "\n" not in text
    assert "split split2: train and test share ['bed']" in text
    assert "category 'bed' is a test category in splits ['split1', 'split2']" in text
    mp100_file(tmp_path, 4, "val").unlink()
    with pytest.raises(DataError, match="mp100_split4_val.json: file not found"):
        check_mp100_splits(tmp_path)
