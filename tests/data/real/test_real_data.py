"""Real-dataset converters: fixtures written here in each dataset's published format, converted and
checked field by field; bad input gives one-line errors; the paper-profile data pipeline runs on a
complete raw tree; and, when present, the real samples in ../shared/fixtures/real-samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from support import profile_params, real_samples

from posebh.data import splits
from posebh.data.errors import DataError
from posebh.data.real import (
    convert_aic,
    convert_ap10k,
    convert_apt36k,
    convert_coco,
    convert_interhand,
    convert_mpii,
    convert_ochuman,
    convert_pw3d,
    convert_wholebody,
)
from posebh.data.real.convert import convert_split
from posebh.data.real.download import MissingRawFiles, prepare
from posebh.data.real.manifest import default_manifest


@pytest.fixture
def real() -> Path:
    return real_samples()


def _img(path: Path, w: int, h: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (w, h), (90, 120, 150)).save(path)


def _json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def _one_line(err: pytest.ExceptionInfo, path: Path, *fragments: str) -> None:
    msg = str(err.value)
    assert "\n" not in msg, msg
    assert msg.startswith(str(path)), msg
    for frag in fragments:
        assert frag in msg, msg


def _kps(k: int, x0: float = 10.0, v: int = 2) -> list:
    return [c for j in range(k) for c in (x0 + j, 20.0 + j, v)]


# ----------------------------------------------------------------------------- fixture writers
# Each writes a few images and the annotation file(s) in the dataset's published format.

def coco_raw(root: Path, split: str = "val2017") -> dict:
    """COCO person_keypoints_<split>.json + jpgs + the val detection-results list."""
    images = [
        {"license": 4, "file_name": "000000000785.jpg", "coco_url": "http://x/785.jpg", "height": 425,
         "width": 640, "date_captured": "2013-11-19 21:22:42", "flickr_url": "http://y", "id": 785},
        {"license": 1, "file_name": "000000040083.jpg", "coco_url": "http://x/40083.jpg", "height": 480,
         "width": 640, "date_captured": "2013-11-18 01:00:00", "flickr_url": "http://y", "id": 40083},
    ]
    anns = [
        {"segmentation": [[1, 2, 3, 4, 5, 6]], "num_keypoints": 17, "area": 27789.11, "iscrowd": 0,
         "keypoints": _kps(17, 300.0), "image_id": 785, "bbox": [280.79, 44.73, 218.7, 346.68],
         "category_id": 1, "id": 442619},
        {"segmentation": [[1, 2, 3, 4, 5, 6]], "num_keypoints": 2, "area": 1000.5, "iscrowd": 0,
         "keypoints": _kps(2, v=1) + [0] * 45, "image_id": 40083, "bbox": [10, 20, 30, 40],
         "category_id": 1, "id": 7},
        {"segmentation": {"counts": [1, 2], "size": [480, 640]}, "num_keypoints": 0, "area": 500,
         "iscrowd": 1, "keypoints": [0] * 51, "image_id": 40083, "bbox": [100, 100, 50, 60],
         "category_id": 1, "id": 900100},
    ]
    cats = [{"supercategory": "person", "id": 1, "name": "person", "keypoints": ["nose"] * 17,
             "skeleton": [[16, 14]]}]
    raw = {"info": {"description": "COCO 2017"}, "licenses": [], "images": images,
           "annotations": anns, "categories": cats}
    _json(root / "coco" / "annotations" / f"person_keypoints_{split}.json", raw)
    for img in images:
        _img(root / "coco" / split / img["file_name"], img["width"], img["height"])
    dets = [{"bbox": [277.1, 45.7, 225.1, 333.6], "category_id": 1, "image_id": 785, "score": 0.99},
            {"bbox": [1.0, 2.0, 3.0, 4.0], "category_id": 1, "image_id": 40083, "score": 0.2},
            {"bbox": [5.0, 5.0, 5.0, 5.0], "category_id": 3, "image_id": 40083, "score": 0.9}]
    _json(root / "coco" / "person_detection_results" / "COCO_val2017_detections_AP_H_56_person.json", dets)
    return raw


def aic_native_raw(root: Path, name: str = "keypoint_validation_annotations_20170911.json") -> list:
    """AI Challenger's native list: sha1 image ids, humanN keypoints (v 1/2/3), corner boxes."""
    raw = [
        {"url": "http://www.sinaimg.cn/a.jpg", "image_id": "054d9ce9201beffc76e5ff2169d2af2f027002ca",
         "keypoint_annotations": {"human1": [313, 201, 1] * 7 + [0, 0, 3] * 6 + [395, 74, 2],
                                  "human2": [5, 6, 2] * 14},
         "human_annotations": {"human1": [279, 55, 492, 599], "human2": [1, 2, 60, 70]}},
        {"url": "http://www.sinaimg.cn/b.jpg", "image_id": "fa436c914fe4a8ec1ec5474af4d3820b84d17561",
         "keypoint_annotations": {"human1": [100, 100, 1] * 14},
         "human_annotations": {"human1": [50, 60, 250, 400]}},
    ]
    _json(root / "aic" / "annotations" / name, raw)
    _img(root / "aic" / "val" / "054d9ce9201beffc76e5ff2169d2af2f027002ca.jpg", 900, 600)
    _img(root / "aic" / "val" / "fa436c914fe4a8ec1ec5474af4d3820b84d17561.jpg", 900, 596)
    return raw


def mpii_raw(root: Path, split: str = "val") -> list:
    """mmpose's MPII JSON list (1-based joints) + jpgs; val also gets mpii_gt_val.mat."""
    from scipy.io import savemat

    rng = np.random.default_rng(0)
    raw = []
    for image, center, scale in (("005808361.jpg", [966.0, 340.0], 4.718488),
                                 ("005808361.jpg", [300.0, 300.0], 1.5),
                                 ("052475643.jpg", [316.0, 220.0], 1.761835)):
        joints = (rng.uniform(50, 400, (16, 2))).round(3).tolist()
        raw.append({"joints_vis": [0] + [1] * 15, "joints": joints, "image": image,
                    "scale": scale, "center": center})
    _json(root / "mpii" / "annotations" / f"mpii_{split}.json", raw)
    _img(root / "mpii" / "images" / "005808361.jpg", 1280, 720)
    _img(root / "mpii" / "images" / "052475643.jpg", 854, 480)
    if split == "val":
        n = len(raw)
        pos = np.stack([np.asarray(r["joints"]) + 0.5 for r in raw], axis=2)  # (16, 2, N)
        missing = np.zeros((16, n))
        missing[3, 1] = 1
        heads = np.zeros((2, 2, n))
        heads[0, :, :] = [[101.0, 201.0, 301.0], [11.0, 21.0, 31.0]]  # top-left x; y
        heads[1, :, :] = [[131.0, 241.0, 351.0], [51.0, 61.0, 71.0]]  # bottom-right
        names = np.array([["rank", "rkne", "rhip", "lhip", "lkne", "lank", "pelv", "thor", "neck",
                           "head", "rwri", "relb", "rsho", "lsho", "lelb", "lwri"]], dtype=object)
        savemat(root / "mpii" / "annotations" / "mpii_gt_val.mat",
                {"pos_gt_src": pos, "jnt_missing": missing, "headboxes_src": heads,
                 "dataset_joints": names})
    return raw


def ap10k_raw(root: Path, name: str = "ap10k-test-split1.json") -> dict:
    images = [{"license": 1, "id": 37516, "file_name": "000000037516.jpg", "width": 1200,
               "height": 867, "background": 5},
              {"license": 1, "id": 4, "file_name": "000000000004.jpg", "width": 800, "height": 600,
               "background": 2}]
    anns = [{"id": 9284, "image_id": 37516, "category_id": 26, "bbox": [66, 192, 1092, 512],
             "area": 559104, "iscrowd": 0, "num_keypoints": 16, "keypoints": _kps(16) + [0, 0, 0]},
            {"id": 3, "image_id": 4, "category_id": 1, "bbox": [10, 10, 100, 80], "area": 8000,
             "iscrowd": 0, "num_keypoints": 17, "keypoints": _kps(17)}]
    cats = [{"id": 26, "name": "dog", "supercategory": "Canidae", "keypoints": ["left_eye"] * 17,
             "skeleton": [[1, 2]]},
            {"id": 1, "name": "antelope", "supercategory": "Bovidae", "keypoints": ["left_eye"] * 17,
             "skeleton": [[1, 2]]}]
    raw = {"info": {"description": "AP-10k"}, "licenses": [], "images": images, "annotations": anns,
           "categories": cats}
    _json(root / "ap10k" / "annotations" / name, raw)
    for img in images:
        _img(root / "ap10k" / "data" / img["file_name"], img["width"], img["height"])
    return raw


FIXED = next(iter(splits.FOLDER_FIXES))  # "clip46\u221a" in the annotation, renamed on disk


def apt36k_raw(root: Path, videos: int = 10, disk_spelling: str = "fixed") -> dict:
    """Raw apt36k_annotations.json: Windows paths, video_id on both records, is_crowd."""
    images, anns = [], []
    for v in range(1, videos + 1):
        clip = FIXED if v == 2 else f"clip{v}"
        iid = v
        images.append({"id": iid, "file_name": f"D:\\APT-36K\\dog\\{clip}\\img0001.png",
                       "width": 320, "height": 240, "video_id": v})
        anns.append({"id": 100 + v, "image_id": iid, "video_id": v, "track_id": 1, "category_id": 3,
                     "keypoints": _kps(17), "num_keypoints": 17, "bbox": [5, 5, 100, 90],
                     "area": 9000, "is_crowd": 0})
        on_disk = splits.FOLDER_FIXES[clip] if clip == FIXED and disk_spelling == "fixed" else clip
        _img(root / "apt36k" / "images" / "dog" / on_disk / "img0001.png", 320, 240)
    raw = {"info": {"description": "APT-36K"}, "license": [], "images": images, "annotations": anns,
           "categories": [{"id": 3, "name": "dog", "supercategory": "Canidae",
                           "keypoints": ["L_Eye"] * 17, "skeleton": []},
                          {"id": 1, "name": "antelope", "supercategory": "Bovidae",
                           "keypoints": ["L_Eye"] * 17, "skeleton": []}]}
    _json(root / "apt36k" / "annotations" / "apt36k_annotations.json", raw)
    return raw


def wholebody_raw(root: Path, split: str = "val") -> dict:
    images = [{"license": 4, "file_name": "000000000785.jpg", "height": 425, "width": 640, "id": 785},
              {"license": 1, "file_name": "000000040083.jpg", "height": 480, "width": 640, "id": 40083}]
    ann = {"segmentation": [[1, 2, 3, 4]], "num_keypoints": 17, "area": 27789.1, "iscrowd": 0,
           "keypoints": _kps(17, 300.0), "image_id": 785, "bbox": [280.79, 44.73, 218.7, 346.68],
           "category_id": 1, "id": 442619, "face_box": [358.2, 69.86, 26.36, 25.85],
           "lefthand_box": [0.0, 0.0, 0.0, 0.0], "righthand_box": [280.43, 173.12, 27.86, 24.85],
           "lefthand_kpts": [0.0] * 63, "righthand_kpts": _kps(21, 300.0), "face_kpts": _kps(68, 300.0),
           "face_valid": True, "lefthand_valid": False, "righthand_valid": True, "foot_valid": True,
           "foot_kpts": _kps(6, 400.0)}
    raw = {"info": {"version": "1.0"}, "licenses": [], "images": images, "annotations": [ann],
           "categories": [{"supercategory": "person", "id": 1, "name": "person",
                           "keypoints": ["nose"] * 17, "skeleton": []}]}
    _json(root / "coco_wholebody" / "annotations" / f"coco_wholebody_{split}_v1.0.json", raw)
    for img in images:
        _img(root / "coco" / f"{split}2017" / img["file_name"], img["width"], img["height"])
    return raw


FOCAL, PRINC = (1200.0, 1210.0), (160.0, 250.0)


def _to_world(uv: np.ndarray, depth: np.ndarray, rot: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Inverse of the pinhole projection: the world points that project to ``uv`` at ``depth``."""
    cam = np.stack([(uv[:, 0] - PRINC[0]) / FOCAL[0] * depth,
                    (uv[:, 1] - PRINC[1]) / FOCAL[1] * depth, depth], axis=1)
    return (rot.T @ cam.T).T + pos


def interhand_raw(root: Path, split: str = "test") -> tuple[dict, dict]:
    """InterHand2.6M data/camera/joint_3d files. Returns (data, expected pixel coords per frame)."""
    a = np.deg2rad(20.0)
    rot = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])
    pos = np.array([-415.2, 132.2, 59.6])
    camera = {"3": {"campos": {"400026": pos.tolist()}, "camrot": {"400026": rot.tolist()},
                    "focal": {"400026": list(FOCAL)}, "princpt": {"400026": list(PRINC)}}}
    rng = np.random.default_rng(1)
    joints, expected, images, anns = {"3": {}}, {}, [], []
    valid_sets = {
        69148: [1] * 42,                              # both hands
        69149: [1] * 20 + [0] + [1] * 11 + [0] * 10,  # right wrist invalid; left 11 valid -> none
        69150: [0] * 21 + [1] * 12 + [0] * 9,         # left hand, 12 valid (wrist invalid!) -> none
        69151: [0] * 21 + [0] * 8 + [1] * 13,         # left hand with 13 valid incl. wrist
    }
    for n, (frame, valid) in enumerate(valid_sets.items()):
        uv = rng.uniform(40, 300, (42, 2))
        depth = rng.uniform(900, 1100, 42)
        joints["3"][str(frame)] = {"world_coord": _to_world(uv, depth, rot, pos).tolist(),
                                   "joint_valid": [[bool(v)] for v in valid],
                                   "hand_type": "interacting", "hand_type_valid": True}
        expected[frame] = uv
        images.append({"id": 1000 + n, "file_name": f"Capture3/0390_dh_touchROM/cam400026/image{frame}.jpg",
                       "width": 334, "height": 512, "capture": 3, "subject": 3,
                       "seq_name": "0390_dh_touchROM", "camera": "400026", "frame_idx": frame})
        anns.append({"id": 1000 + n, "image_id": 1000 + n, "bbox": [0, 0, 300, 300],
                     "joint_valid": [[v] for v in valid], "hand_type": "interacting",
                     "hand_type_valid": 1})
        _img(root / "interhand2d" / "images" / split / images[-1]["file_name"], 334, 512)
    ann_dir = root / "interhand2d" / "annotations" / "all"
    data = {"images": images, "annotations": anns}
    _json(ann_dir / f"InterHand2.6M_{split}_data.json", data)
    _json(ann_dir / f"InterHand2.6M_{split}_camera.json", camera)
    _json(ann_dir / f"InterHand2.6M_{split}_joint_3d.json", joints)
    return data, expected


def pw3d_raw(root: Path, split: str = "test") -> dict:
    """ScoreHypo's processed 3DPW json (fields as listed in PoseBH's preprocess_3dpw.py)."""
    joint_img = np.zeros((24, 3))
    joint_img[:, 0] = np.linspace(110, 480, 24)  # x: inside the 1080-wide image and the box
    joint_img[:, 1] = np.linspace(5, 1930, 24)   # y: beyond 1920 at the end
    joint_img[:, 2] = 3.0
    joint_img[2, 2] = -0.5                       # behind the camera
    joint_img[5, 0] = -1.0                       # left of the image
    images = [{"id": 7, "file_name": "image_00000.jpg", "sequence": "downtown_arguing_00",
               "width": 1080, "height": 1920,
               "cam_param": {"focal": [1961.9, 1969.2], "princpt": [540.0, 960.0]}},
              {"id": 8, "file_name": "image_00001.jpg", "sequence": "downtown_arguing_00",
               "width": 1080, "height": 1920, "cam_param": {"focal": [1, 1], "princpt": [0, 0]}}]
    anns = [{"id": 70, "image_id": 7, "fitted_3d_pose": [[0, 0, 0]] * 17, "smpl_param": {"pose": [0] * 72},
             "bbox": [100.0, 50.0, 400.0, 1500.0], "h36m_joints": [[0, 0, 0]] * 17,
             "smpl_joint_img": joint_img.tolist(), "smpl_joint_cam": [[0, 0, 0]] * 24,
             "joint_2d": [[0, 0]] * 24},
            {"id": 80, "image_id": 8, "smpl_param": {}, "bbox": [0.0, 0.0, 600.0, 1900.0], "area": 150.0,
             "h36m_joints": [], "smpl_joint_img": joint_img.flatten().tolist(), "smpl_joint_cam": []}]
    raw = {"images": images, "annotations": anns}
    _json(root / "pw3d" / "annotations" / f"3DPW_{split}.json", raw)
    for img in images:
        _img(root / "pw3d" / "imageFiles" / img["sequence"] / img["file_name"], 1080, 1920)
    return raw


def ochuman_raw(root: Path, split: str = "test") -> dict:
    raw = {"categories": [{"id": 1, "name": "person", "supercategory": "person",
                           "keypoints": ["nose"] * 17, "skeleton": []}],
           "images": [{"file_name": "003799.jpg", "width": 900, "height": 864, "id": 1}],
           "annotations": [{"area": 356725, "image_id": 1, "iscrowd": 0, "category_id": 1,
                            "bbox": [250, 112, 475, 751], "segmentation": {"counts": "x"},
                            "num_keypoints": 17, "id": 1, "keypoints": _kps(17)}],
           "info": {"description": "OCHuman"}}
    _json(root / "ochuman" / "annotations" / f"ochuman_coco_format_{split}_range_0.00_1.00.json", raw)
    _img(root / "ochuman" / "images" / "003799.jpg", 900, 864)
    return raw


# ----------------------------------------------------------------------------- converters

def test_coco_keeps_fields_drops_segmentation_and_attaches_person_detections(tmp_path):
    raw = coco_raw(tmp_path)
    files = {"annotations": "coco/annotations/person_keypoints_val2017.json", "images": "coco/val2017",
             "detections": "coco/person_detection_results/COCO_val2017_detections_AP_H_56_person.json"}
    out = convert_split("coco", files, tmp_path)
    assert out["info"]["dataset"] == "coco"
    assert out["info"]["image_root"] == str(tmp_path / "coco" / "val2017")
    assert out["images"] == [{k: i[k] for k in ("id", "file_name", "width", "height")}
                             for i in raw["images"]]
    for got, src in zip(out["annotations"], raw["annotations"]):
        assert got == {k: src[k] for k in ("id", "image_id", "category_id", "keypoints",
                                           "num_keypoints", "bbox", "area", "iscrowd")}
    assert out["categories"] == raw["categories"]
    assert out["detections"] == [
        {"image_id": 785, "category_id": 1, "bbox": [277.1, 45.7, 225.1, 333.6], "score": 0.99},
        {"image_id": 40083, "category_id": 1, "bbox": [1.0, 2.0, 3.0, 4.0], "score": 0.2}]


def test_aic_native_format_is_converted_like_the_coco_style_release(tmp_path):
    aic_native_raw(tmp_path)
    ann = tmp_path / "aic/annotations/keypoint_validation_annotations_20170911.json"
    out = convert_aic.convert({"annotations": ann, "images": tmp_path / "aic/val"})
    assert [(i["id"], i["file_name"], i["width"], i["height"]) for i in out["images"]] == [
        (1, "054d9ce9201beffc76e5ff2169d2af2f027002ca.jpg", 900, 600),
        (2, "fa436c914fe4a8ec1ec5474af4d3820b84d17561.jpg", 900, 596)]
    a1, a2, a3 = out["annotations"]
    # v: 1 (visible) -> 2, 2 (occluded) -> 1, 3 (unlabelled) -> 0 with zeroed coordinates
    assert a1["keypoints"] == [313, 201, 2] * 7 + [0, 0, 0] * 6 + [395, 74, 1]
    assert a1["num_keypoints"] == 8 and a1["bbox"] == [279, 55, 213, 544] and a1["iscrowd"] == 0
    assert a1["area"] == 213 * 544 and a1["image_id"] == 1 and a1["id"] == 1
    assert a2["keypoints"] == [5, 6, 1] * 14 and a2["bbox"] == [1, 2, 59, 68]
    assert (a3["id"], a3["image_id"], a3["bbox"]) == (3, 2, [50, 60, 200, 340])
    assert out["categories"][0]["keypoints"][0] == "right_shoulder"
    assert len(out["categories"][0]["keypoints"]) == 14


def test_mpii_json_list_with_gt_mat_gives_head_boxes_and_0_based_keypoints(tmp_path):
    raw = mpii_raw(tmp_path, "val")
    out = convert_split("mpii", {"annotations": "mpii/annotations/mpii_val.json", "images": "mpii/images",
                                 "head_boxes": "mpii/annotations/mpii_gt_val.mat"}, tmp_path)
    assert out["images"] == [{"id": 1, "file_name": "005808361.jpg", "width": 1280, "height": 720},
                             {"id": 2, "file_name": "052475643.jpg", "width": 854, "height": 480}]
    assert [a["image_id"] for a in out["annotations"]] == [1, 1, 2]
    a = out["annotations"][1]
    kps = np.asarray(a["keypoints"]).reshape(16, 3)
    # GT from the .mat (pos_gt_src = joints + 0.5, 1-based) -> 0-based; jnt_missing[3] -> v 0
    np.testing.assert_allclose(kps[:, :2], np.asarray(raw[1]["joints"]) + 0.5 - 1.0)
    assert kps[:, 2].tolist() == [2, 2, 2, 0] + [2] * 12 and a["num_keypoints"] == 15
    assert a["head_bbox"] == [200.0, 20.0, 40.0, 40.0]
    # box: centre (300, 300) -> (299, 300 + 15 * 1.5 - 1), square of side 200 * 1.5
    assert a["bbox"] == pytest.approx([299 - 150, 321.5 - 150, 300, 300])
    assert a["area"] == pytest.approx(300 * 300) and a["iscrowd"] == 0
    assert out["categories"][0]["keypoints"][0] == "right_ankle"


def test_mpii_train_without_mat_uses_the_json_joints(tmp_path):
    raw = mpii_raw(tmp_path, "train")
    out = convert_mpii.convert({"annotations": tmp_path / "mpii/annotations/mpii_train.json",
                                "images": tmp_path / "mpii/images"})
    kps = np.asarray(out["annotations"][0]["keypoints"]).reshape(16, 3)
    np.testing.assert_allclose(kps[:, :2], np.asarray(raw[0]["joints"]) - 1.0)
    assert kps[:, 2].tolist() == [0] + [2] * 15
    assert "head_bbox" not in out["annotations"][0]


def test_ap10k_keeps_species_categories(tmp_path):
    raw = ap10k_raw(tmp_path)
    out = convert_ap10k.convert({"annotations": tmp_path / "ap10k/annotations/ap10k-test-split1.json",
                                 "images": tmp_path / "ap10k/data"})
    assert out["categories"] == raw["categories"]
    assert [a["category_id"] for a in out["annotations"]] == [26, 1]
    assert out["annotations"][0]["keypoints"] == raw["annotations"][0]["keypoints"]
    assert "background" not in out["images"][0]


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


def test_wholebody_keeps_all_five_keypoint_fields(tmp_path):
    raw = wholebody_raw(tmp_path)["annotations"][0]
    ann_file = tmp_path / "coco_wholebody/annotations/coco_wholebody_val_v1.0.json"
    out = convert_wholebody.convert({"annotations": ann_file, "images": tmp_path / "coco/val2017"})
    ann = out["annotations"][0]
    for field in ("keypoints", "foot_kpts", "face_kpts", "lefthand_kpts", "righthand_kpts",
                  "face_valid", "lefthand_valid", "righthand_valid", "foot_valid", "face_box",
                  "lefthand_box", "righthand_box", "num_keypoints", "area", "bbox"):
        assert ann[field] == raw[field], field
    assert "segmentation" not in ann


def test_interhand_projects_3d_joints_and_keeps_hands_like_mmpose(tmp_path):
    data, expected = interhand_raw(tmp_path)
    d = tmp_path / "interhand2d/annotations/all"
    out = convert_interhand.convert({"annotations": d / "InterHand2.6M_test_data.json",
                                     "camera": d / "InterHand2.6M_test_camera.json",
                                     "joints": d / "InterHand2.6M_test_joint_3d.json",
                                     "images": tmp_path / "interhand2d/images/test"})
    assert [i["id"] for i in out["images"]] == [1000, 1003]  # frames without a usable hand dropped
    assert out["images"][0]["seq_name"] == "0390_dh_touchROM"
    assert [(a["image_id"], a["hand"]) for a in out["annotations"]] == [
        (1000, "right"), (1000, "left"), (1003, "left")]
    right, left, lone = out["annotations"]
    for ann, uv in ((right, expected[69148][:21]), (left, expected[69148][21:]),
                    (lone, expected[69151][21:])):
        np.testing.assert_allclose(np.asarray(ann["keypoints"]).reshape(21, 3)[:, :2], uv, atol=1e-6)
    vis = np.asarray(lone["keypoints"]).reshape(21, 3)[:, 2]
    assert vis.tolist() == [0] * 8 + [1] * 13 and lone["num_keypoints"] == 13
    good = expected[69151][21:][8:]
    x0, y0 = good.min(axis=0)
    x1, y1 = good.max(axis=0)
    assert lone["bbox"] == pytest.approx([x0, y0, x1 - x0, y1 - y0])
    assert out["categories"][0]["name"] == "hand" and len(out["categories"][0]["keypoints"]) == 21


def test_pw3d_projected_smpl_joints_visibility_and_paths(tmp_path):
    raw = pw3d_raw(tmp_path)
    out = convert_split("pw3d", {"annotations": "pw3d/annotations/3DPW_test.json",
                                 "images": "pw3d/imageFiles"}, tmp_path)
    assert [i["file_name"] for i in out["images"]] == ["downtown_arguing_00/image_00000.jpg",
                                                       "downtown_arguing_00/image_00001.jpg"]
    assert "cam_param" not in out["images"][0]
    a, b = out["annotations"]
    j = np.asarray(raw["annotations"][0]["smpl_joint_img"])
    kps = np.asarray(a["keypoints"]).reshape(24, 3)
    np.testing.assert_allclose(kps[:, :2], j[:, :2])  # coordinates kept even when invisible
    want = (j[:, 0] >= 0) & (j[:, 0] < 1080) & (j[:, 1] >= 0) & (j[:, 1] < 1920) & (j[:, 2] >= 0)
    assert kps[:, 2].tolist() == want.astype(int).tolist()
    assert kps[2, 2] == 0 and kps[5, 2] == 0 and kps[23, 2] == 0 and kps[0, 2] == 1
    assert a["num_keypoints"] == int(want.sum())
    assert (a["id"], a["image_id"], a["category_id"], a["iscrowd"]) == (70, 7, 1, 0)
    assert a["bbox"] == [100.0, 50.0, 400.0, 1500.0] and a["area"] == 400.0 * 1500.0
    assert b["area"] == 150.0 and b["keypoints"] == a["keypoints"]  # flat input = nested input
    for dropped in ("smpl_param", "smpl_joint_img", "h36m_joints", "fitted_3d_pose", "joint_2d"):
        assert dropped not in a
    assert out["categories"][0]["keypoints"][0] == "pelvis"


def test_ochuman_is_coco_style_with_the_coco_skeleton(tmp_path):
    raw = ochuman_raw(tmp_path)
    out = convert_ochuman.convert({
        "annotations": tmp_path / "ochuman/annotations/ochuman_coco_format_test_range_0.00_1.00.json",
        "images": tmp_path / "ochuman/images"})
    assert out["info"]["dataset"] == "ochuman" and out["info"]["skeleton"] == "coco"
    assert out["annotations"][0]["keypoints"] == raw["annotations"][0]["keypoints"]
    assert "segmentation" not in out["annotations"][0]


# ----------------------------------------------------------------------------- bad input

def test_corrupt_and_truncated_json_name_the_file(tmp_path):
    coco_raw(tmp_path)
    path = tmp_path / "coco/annotations/person_keypoints_val2017.json"
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    files = {"annotations": path, "images": tmp_path / "coco/val2017"}
    with pytest.raises(DataError) as err:
        convert_coco.convert(files)
    _one_line(err, path, "malformed JSON", "truncated or corrupt")
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(DataError) as err:
        convert_coco.convert(files)
    _one_line(err, path)


@pytest.mark.parametrize("mutate, fragment", [
    (lambda r: r["annotations"][1].update(keypoints=[1, 2, 2] * 16),
     "annotations[1] (id 7): keypoints has 48 values, expected 51"),
    (lambda r: r["annotations"][0]["keypoints"].__setitem__(3, "x"),
     "keypoints value 'x' is not a finite number"),
    (lambda r: r["annotations"][0].update(bbox=[700, 10, 20, 20]), "lies outside the 640x425 image"),
    (lambda r: r["annotations"][0].update(bbox=[10, 10, -5, 20]), "negative size"),
    (lambda r: r["annotations"][0].update(bbox=[10, 10, 20]), "is not [x, y, w, h]"),
    (lambda r: r["annotations"][0].update(image_id=1), "image_id 1 is not in images"),
    (lambda r: r["images"][0].pop("width"), "images[0]: missing key 'width'"),
    (lambda r: r.update(annotations=[]), "empty split: 2 images, 0 annotations"),
    (lambda r: r.pop("images"), "missing list 'images'"),
])
def test_bad_coco_content_is_a_one_line_error(tmp_path, mutate, fragment):
    raw = coco_raw(tmp_path)
    mutate(raw)
    path = _json(tmp_path / "coco/annotations/person_keypoints_val2017.json", raw)
    with pytest.raises(DataError) as err:
        convert_coco.convert({"annotations": path, "images": tmp_path / "coco/val2017"})
    _one_line(err, path, fragment)


def test_missing_image_and_bad_detections_name_the_file(tmp_path):
    coco_raw(tmp_path)
    (tmp_path / "coco/val2017/000000040083.jpg").unlink()
    files = {"annotations": "coco/annotations/person_keypoints_val2017.json", "images": "coco/val2017"}
    with pytest.raises(DataError) as err:
        convert_split("coco", files, tmp_path)
    _one_line(err, tmp_path / "coco/val2017/000000040083.jpg",
              "image file not found (1 of 2 images listed in")
    dets = _json(tmp_path / "dets.json", [{"bbox": [1, 2, 3, 4], "image_id": 999, "score": 0.5}])
    with pytest.raises(DataError) as err:
        convert_coco.convert({"annotations": tmp_path / files["annotations"],
                              "images": tmp_path / "coco/val2017", "detections": dets})
    _one_line(err, dets, "[0]: image_id 999 is not in the GT images")
    with pytest.raises(DataError, match="unknown file role"):
        convert_split("coco", {**files, "camera": "x"}, tmp_path)
    with pytest.raises(DataError, match=r"no path given for role\(s\) \['images'\]"):
        convert_split("coco", {"annotations": files["annotations"]}, tmp_path)


def test_bad_input_in_other_formats(tmp_path):
    mpii_raw(tmp_path, "val")
    ann = tmp_path / "mpii/annotations/mpii_val.json"
    raw = json.loads(ann.read_text())
    _json(tmp_path / "short.json", raw[:2])
    with pytest.raises(DataError) as err:  # the .mat has 3 columns, the JSON 2 persons
        convert_mpii.convert({"annotations": tmp_path / "short.json", "images": tmp_path / "mpii/images",
                              "head_boxes": tmp_path / "mpii/annotations/mpii_gt_val.mat"})
    _one_line(err, tmp_path / "mpii/annotations/mpii_gt_val.mat", "expected (16, 2, 2)")
    raw[0]["joints"] = raw[0]["joints"][:15]
    _json(ann, raw)
    with pytest.raises(DataError) as err:
        convert_mpii.convert({"annotations": ann, "images": tmp_path / "mpii/images"})
    _one_line(err, ann, "[0] (005808361.jpg): joints must be 16 x 2")

    pw3d_raw(tmp_path)
    p = tmp_path / "pw3d/annotations/3DPW_test.json"
    raw = json.loads(p.read_text())
    raw["annotations"][0]["smpl_joint_img"] = [[0, 0, 0]] * 23
    _json(p, raw)
    with pytest.raises(DataError) as err:
        convert_pw3d.convert({"annotations": p, "images": tmp_path / "pw3d/imageFiles"})
    _one_line(err, p, "smpl_joint_img has 69 values, expected 72")

    aic_native_raw(tmp_path)
    a = tmp_path / "aic/annotations/keypoint_validation_annotations_20170911.json"
    raw = json.loads(a.read_text())
    raw[0]["keypoint_annotations"]["human1"][2] = 4
    _json(a, raw)
    with pytest.raises(DataError) as err:
        convert_aic.convert({"annotations": a, "images": tmp_path / "aic/val"})
    _one_line(err, a, "visibility 4 of keypoint 0 is not 1, 2 or 3")

    wholebody_raw(tmp_path)
    w = tmp_path / "coco_wholebody/annotations/coco_wholebody_val_v1.0.json"
    raw = json.loads(w.read_text())
    raw["annotations"][0]["face_kpts"] = [0] * 201
    _json(w, raw)
    with pytest.raises(DataError) as err:
        convert_wholebody.convert({"annotations": w, "images": tmp_path / "coco/val2017"})
    _one_line(err, w, "face_kpts has 201 values, expected 204")

    interhand_raw(tmp_path)
    d = tmp_path / "interhand2d/annotations/all"
    cam = json.loads((d / "InterHand2.6M_test_camera.json").read_text())
    cam["3"]["campos"] = {}
    _json(d / "InterHand2.6M_test_camera.json", cam)
    with pytest.raises(DataError) as err:
        convert_interhand.convert({"annotations": d / "InterHand2.6M_test_data.json",
                                   "camera": d / "InterHand2.6M_test_camera.json",
                                   "joints": d / "InterHand2.6M_test_joint_3d.json",
                                   "images": tmp_path / "interhand2d/images/test"})
    _one_line(err, d / "InterHand2.6M_test_camera.json", "no camera '400026' for capture 3")


def test_apt36k_empty_split_and_broken_raw(tmp_path):
    apt36k_raw(tmp_path, videos=1)
    files = {"annotations": tmp_path / "apt36k/annotations/apt36k_annotations.json",
             "images": tmp_path / "apt36k/images"}
    with pytest.raises(DataError) as err:
        convert_apt36k.convert(files)
    _one_line(err, files["annotations"], "cannot split: split 'val' is empty")
    raw = apt36k_raw(tmp_path)
    del raw["annotations"][0]["image_id"]
    _json(files["annotations"], raw)
    with pytest.raises(DataError) as err:
        convert_apt36k.convert(files)
    _one_line(err, files["annotations"], "lacks key 'image_id'")


# ----------------------------------------------------------------------------- manifest + pipeline

def _paper_real_params() -> dict:
    return profile_params("paper")["data"]


def test_paper_file_table_matches_the_manifest_layout():
    manifest = default_manifest()
    params = _paper_real_params()
    for name, split_files in params["real"]["files"].items():
        for split, files in split_files.items():
            for role, rel in files.items():
                dataset, _, inner = rel.partition("/")
                provided = manifest[dataset].provides()
                assert any(inner == p or inner.startswith(p + "/") for p in provided), \
                    f"{name}.{split}.{role}: {rel} is provided by no manifest entry of {dataset}"


def test_missing_raw_files_give_one_message_listing_them(tmp_path):
    with pytest.raises(MissingRawFiles) as err:
        prepare(["coco", "apt36k"], tmp_path, download=False)
    msg = str(err.value)
    assert msg.splitlines()[0].startswith(f"{tmp_path}: 7 raw file(s) missing")
    assert (f"{tmp_path}/coco/train2017  <- http://images.cocodataset.org/zips/train2017.zip "
            "(or set data.real.download: true") in msg
    assert f"{tmp_path}/apt36k/annotations/apt36k_annotations.json  <- OneDrive link" in msg
    assert ("person_detection_results/COCO_val2017_detections_AP_H_56_person.json  <- "
            "person detections") in msg


def _full_raw_tree(root: Path) -> None:
    """Every manifest path of the eight pipeline datasets, in each dataset's real format."""
    coco_raw(root, "val2017")
    coco_raw(root, "train2017")
    aic_native_raw(root, "aic_val.json")
    aic_native_raw(root, "aic_train.json")
    for split in ("train", "val"):
        mpii_raw(root, split)
        wholebody_raw(root, split)
    for name in ("ap10k-train-split1.json", "ap10k-val-split1.json", "ap10k-test-split1.json"):
        ap10k_raw(root, name)
    apt36k_raw(root)
    for split in ("train", "test"):
        interhand_raw(root, split)
        pw3d_raw(root, split)


def test_paper_data_pipeline_converts_a_complete_raw_tree(tmp_path):
    from kedro.io import DataCatalog, MemoryDataset
    from kedro.runner import SequentialRunner

    from posebh.pipelines import data, download

    _full_raw_tree(tmp_path)
    params = _paper_real_params()
    params["image_root"] = str(tmp_path)
    # the fixtures put AIC images in aic/val; point both splits there
    for split in ("train", "val"):
        params["real"]["files"]["aic"][split]["images"] = "aic/val"
    for d in ("ai_challenger_keypoint_train_20170902/keypoint_train_images_20170902",
              "ai_challenger_keypoint_validation_20170911/keypoint_validation_images_20170911"):
        (tmp_path / "aic" / d).mkdir(parents=True)
    catalog = DataCatalog({"params:data": MemoryDataset(params)})
    pipeline = download.create_pipeline() + data.create_pipeline()  # dvc stages download, data
    outputs = sorted(pipeline.all_outputs() - {"raw_data_status"})
    for name in outputs:
        catalog[name] = MemoryDataset()
    SequentialRunner().run(pipeline, catalog)
    got = {name: catalog.load(name) for name in outputs}
    assert set(got) == {f"{d}_{s}" for d in ("coco", "aic", "mpii", "ap10k", "coco_wholebody",
                                             "interhand2d", "pw3d") for s in ("train", "val")} | {
        "apt36k_train", "apt36k_val", "apt36k_test", "apt36k_split_summary"}
    assert got["coco_val"]["info"]["image_root"] == str(tmp_path / "coco" / "val2017")
    assert len(got["coco_val"]["detections"]) == 2
    assert "head_bbox" in got["mpii_val"]["annotations"][0]
    assert got["interhand2d_val"]["info"]["source"][0].endswith("InterHand2.6M_test_data.json")
    assert got["ap10k_val"]["info"]["source"][0].endswith("ap10k-test-split1.json")
    assert got["apt36k_split_summary"]["train"]["videos"] == 7
    for name, coco in got.items():
        if name != "apt36k_split_summary":
            json.dumps(coco)  # JSON-serialisable as the catalog writes it
            assert coco["images"] and coco["annotations"], name


# ----------------------------------------------------------------------------- real samples

def test_real_coco_and_detections(real):
    raw = json.loads((real / "coco/test_coco.json").read_text())
    out = convert_coco.convert({"annotations": real / "coco/test_coco.json", "images": real / "coco",
                                "detections": real / "coco/test_coco_det_AP_H_56.json"})
    from posebh.data.real.files import check_images

    check_images(out, real / "coco", "test_coco.json")
    assert len(out["images"]) == 4 and len(out["annotations"]) == 14
    for got, src in zip(out["annotations"], raw["annotations"]):
        assert (got["keypoints"], got["bbox"], got["area"], got["num_keypoints"]) == (
            src["keypoints"], src["bbox"], src["area"], src["num_keypoints"])
    dets = json.loads((real / "coco/test_coco_det_AP_H_56.json").read_text())
    assert len(out["detections"]) == sum(d["category_id"] == 1 for d in dets)


def test_real_wholebody_aic_ap10k_ochuman(real):
    wb = convert_wholebody.convert({"annotations": real / "coco/test_coco_wholebody.json",
                                    "images": real / "coco"})
    assert len(wb["annotations"]) == 14
    assert all(len(a["face_kpts"]) == 204 and len(a["righthand_kpts"]) == 63 for a in wb["annotations"])
    aic = convert_aic.convert({"annotations": real / "aic/test_aic.json", "images": real / "aic"})
    assert len(aic["annotations"]) == 9 and all(a["iscrowd"] == 0 for a in aic["annotations"])
    assert aic["annotations"][0]["area"] == 213 * 544  # the release has no area: box area
    ap = convert_ap10k.convert({"annotations": real / "ap10k/test_ap10k.json", "images": real / "ap10k"})
    assert len(ap["categories"]) == 54 and len(ap["annotations"]) == 2
    oc = convert_ochuman.convert({"annotations": real / "ochuman/test_ochuman.json",
                                  "images": real / "ochuman"})
    assert len(oc["annotations"]) == 5
    from posebh.data.real.files import check_images

    for out, folder in ((wb, "coco"), (aic, "aic"), (ap, "ap10k"), (oc, "ochuman")):
        check_images(out, real / folder, folder)


def test_real_mpii(real):
    raw = json.loads((real / "mpii/test_mpii.json").read_text())
    out = convert_mpii.convert({"annotations": real / "mpii/test_mpii.json", "images": real / "mpii"})
    assert len(out["annotations"]) == len(raw) == 5
    for got, src in zip(out["annotations"], raw):
        kps = np.asarray(got["keypoints"]).reshape(16, 3)
        np.testing.assert_allclose(kps[:, :2], np.asarray(src["joints"]) - 1.0)
        assert (kps[:, 2] > 0).tolist() == [bool(v) for v in src["joints_vis"]]
        cx, cy = src["center"][0] - 1, src["center"][1] + 15 * src["scale"] - 1
        x, y, w, h = got["bbox"]
        assert (x + w / 2, y + h / 2, w) == pytest.approx((cx, cy, 200 * src["scale"]))
    sizes = {i["file_name"]: (i["width"], i["height"]) for i in out["images"]}
    assert sizes["005808361.jpg"] == Image.open(real / "mpii/005808361.jpg").size


def test_real_interhand(real):
    d = real / "interhand2.6m"
    out = convert_interhand.convert({"annotations": d / "test_interhand2.6m_data.json",
                                     "camera": d / "test_interhand2.6m_camera.json",
                                     "joints": d / "test_interhand2.6m_joint_3d.json", "images": d})
    data = json.loads((d / "test_interhand2.6m_data.json").read_text())
    # expected hands from joint_valid alone: a hand counts with > 11 valid joints incl. its wrist
    want = []
    for ann in data["annotations"]:
        v = np.asarray(ann["joint_valid"]).reshape(2, 21)
        want += [(ann["image_id"], h) for i, h in enumerate(("right", "left"))
                 if v[i, 20] and v[i].sum() > 11]
    assert [(a["image_id"], a["hand"]) for a in out["annotations"]] == want and len(want) == 6
    # independent projection of one joint: K [R | -R c] X
    cams = json.loads((d / "test_interhand2.6m_camera.json").read_text())
    joints = json.loads((d / "test_interhand2.6m_joint_3d.json").read_text())
    img = data["images"][0]
    c = cams[str(img["capture"])]
    cam = img["camera"]
    kmat = np.array([[c["focal"][cam][0], 0, c["princpt"][cam][0]],
                     [0, c["focal"][cam][1], c["princpt"][cam][1]], [0, 0, 1]])
    rot, pos = np.asarray(c["camrot"][cam]), np.asarray(c["campos"][cam])
    world = np.asarray(joints[str(img["capture"])][str(img["frame_idx"])]["world_coord"][20])
    p = kmat @ np.concatenate([rot, (-rot @ pos)[:, None]], axis=1) @ np.append(world, 1.0)
    first = out["annotations"][0]
    assert first["keypoints"][60:62] == pytest.approx([p[0] / p[2], p[1] / p[2]], abs=1e-4)
    from posebh.data.real.files import check_images

    check_images(out, d, "interhand")


def test_module_cli_converts_ochuman_and_reports_errors(tmp_path, capsys):
    from posebh.data.real.__main__ import main

    ochuman_raw(tmp_path, "val")
    ochuman_raw(tmp_path, "test")
    params = _paper_real_params()
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
