"""A miniature raw tree: every file the paper profile reads (conf/paper ``data.real.files``), in
each dataset's published format (field sets as released), with a few real-sized JPEGs on which a
stick figure is drawn through each annotation's keypoints.

``write_miniature(root)`` writes the whole tree (``posebh miniature-raw``; the ``download`` stage of
``profile: paper_smoke``); the per-dataset writers are what tests/data/real/test_real_*.py convert
and check field by field. tests/rawfixtures.py holds the smaller valid trees the fault rows corrupt.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from posebh.data import splits
from posebh.io import atomic_write


def _points(flat) -> list[tuple[float, float]]:
    """Labelled (x, y) of a flat ``[x, y, v, ...]`` or ``[[x, y(, ...)], ...]`` keypoint list."""
    arr = np.asarray(flat, dtype=np.float64)
    arr = arr.reshape(-1, 3) if arr.ndim == 1 else arr[:, :3] if arr.shape[1] >= 3 else arr
    keep = arr[:, 2] > 0 if arr.shape[1] == 3 else np.ones(len(arr), bool)
    return [(float(x), float(y)) for x, y in arr[keep, :2]]


def write_image(path: Path, w: int, h: int, figures: list | tuple = ()) -> None:
    """A ``w`` x ``h`` JPEG (or PNG by suffix); each figure (a keypoint list) drawn as a stick
    figure: a dot on every labelled keypoint, lines joining consecutive ones. Deterministic (a
    rewrite gives the same bytes); a shared image (COCO / WholeBody) is drawn by its last writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (w, h), (90, 120, 150))
    draw = ImageDraw.Draw(img)
    for fig in figures:
        pts = _points(fig)
        if len(pts) > 1:
            draw.line(pts, fill=(230, 200, 60), width=3)
        for x, y in pts:
            draw.ellipse((x - 4, y - 4, x + 4, y + 4), fill=(240, 40, 40))
    buf = io.BytesIO()
    img.save(buf, format="PNG" if path.suffix.lower() == ".png" else "JPEG", quality=90)
    atomic_write(path, buf.getvalue())


def write_json(path: Path, data) -> Path:
    atomic_write(path, json.dumps(data).encode())
    return path


def kps(k: int, x0: float = 10.0, v: int = 2) -> list:
    return [c for j in range(k) for c in (x0 + j, 20.0 + j, v)]


def _figures(anns: list[dict], image_id) -> list:
    return [a["keypoints"] for a in anns if a["image_id"] == image_id]


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
         "keypoints": kps(17, 300.0), "image_id": 785, "bbox": [280.79, 44.73, 218.7, 346.68],
         "category_id": 1, "id": 442619},
        {"segmentation": [[1, 2, 3, 4, 5, 6]], "num_keypoints": 2, "area": 1000.5, "iscrowd": 0,
         "keypoints": kps(2, v=1) + [0] * 45, "image_id": 40083, "bbox": [10, 20, 30, 40],
         "category_id": 1, "id": 7},
        {"segmentation": {"counts": [1, 2], "size": [480, 640]}, "num_keypoints": 0, "area": 500,
         "iscrowd": 1, "keypoints": [0] * 51, "image_id": 40083, "bbox": [100, 100, 50, 60],
         "category_id": 1, "id": 900100},
    ]
    cats = [{"supercategory": "person", "id": 1, "name": "person", "keypoints": ["nose"] * 17,
             "skeleton": [[16, 14]]}]
    raw = {"info": {"description": "COCO 2017"}, "licenses": [], "images": images,
           "annotations": anns, "categories": cats}
    write_json(root / "coco" / "annotations" / f"person_keypoints_{split}.json", raw)
    for img in images:
        write_image(root / "coco" / split / img["file_name"], img["width"], img["height"],
                    _figures(anns, img["id"]))
    dets = [{"bbox": [277.1, 45.7, 225.1, 333.6], "category_id": 1, "image_id": 785, "score": 0.99},
            {"bbox": [1.0, 2.0, 3.0, 4.0], "category_id": 1, "image_id": 40083, "score": 0.2},
            {"bbox": [5.0, 5.0, 5.0, 5.0], "category_id": 3, "image_id": 40083, "score": 0.9}]
    write_json(root / "coco" / "person_detection_results" / "COCO_val2017_detections_AP_H_56_person.json", dets)
    return raw


def aic_native_raw(root: Path, name: str = "keypoint_validation_annotations_20170911.json",
                   images: str = "val") -> list:
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
    write_json(root / "aic" / "annotations" / name, raw)
    for rec, (w, h) in zip(raw, ((900, 600), (900, 596))):
        figures = [[c if i % 3 != 2 else float(c < 3) for i, c in enumerate(pts)]  # v 3 = unlabelled
                   for pts in rec["keypoint_annotations"].values()]
        write_image(root / "aic" / images / f"{rec['image_id']}.jpg", w, h, figures)
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
    write_json(root / "mpii" / "annotations" / f"mpii_{split}.json", raw)
    for name, (w, h) in (("005808361.jpg", (1280, 720)), ("052475643.jpg", (854, 480))):
        write_image(root / "mpii" / "images" / name, w, h,
                    [r["joints"] for r in raw if r["image"] == name])
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
        mat = io.BytesIO()
        savemat(mat, {"pos_gt_src": pos, "jnt_missing": missing, "headboxes_src": heads,
                      "dataset_joints": names})
        data = b"MATLAB 5.0 MAT-file, posebh miniature".ljust(116) + mat.getvalue()[116:]  # no date
        atomic_write(root / "mpii" / "annotations" / "mpii_gt_val.mat", data)
    return raw


def ap10k_raw(root: Path, name: str = "ap10k-test-split1.json") -> dict:
    images = [{"license": 1, "id": 37516, "file_name": "000000037516.jpg", "width": 1200,
               "height": 867, "background": 5},
              {"license": 1, "id": 4, "file_name": "000000000004.jpg", "width": 800, "height": 600,
               "background": 2}]
    anns = [{"id": 9284, "image_id": 37516, "category_id": 26, "bbox": [66, 192, 1092, 512],
             "area": 559104, "iscrowd": 0, "num_keypoints": 16, "keypoints": kps(16) + [0, 0, 0]},
            {"id": 3, "image_id": 4, "category_id": 1, "bbox": [10, 10, 100, 80], "area": 8000,
             "iscrowd": 0, "num_keypoints": 17, "keypoints": kps(17)}]
    cats = [{"id": 26, "name": "dog", "supercategory": "Canidae", "keypoints": ["left_eye"] * 17,
             "skeleton": [[1, 2]]},
            {"id": 1, "name": "antelope", "supercategory": "Bovidae", "keypoints": ["left_eye"] * 17,
             "skeleton": [[1, 2]]}]
    raw = {"info": {"description": "AP-10k"}, "licenses": [], "images": images, "annotations": anns,
           "categories": cats}
    write_json(root / "ap10k" / "annotations" / name, raw)
    for img in images:
        write_image(root / "ap10k" / "data" / img["file_name"], img["width"], img["height"],
                    _figures(anns, img["id"]))
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
                     "keypoints": kps(17), "num_keypoints": 17, "bbox": [5, 5, 100, 90],
                     "area": 9000, "is_crowd": 0})
        on_disk = splits.FOLDER_FIXES[clip] if clip == FIXED and disk_spelling == "fixed" else clip
        write_image(root / "apt36k" / "images" / "dog" / on_disk / "img0001.png", 320, 240,
                    [anns[-1]["keypoints"]])
    raw = {"info": {"description": "APT-36K"}, "license": [], "images": images, "annotations": anns,
           "categories": [{"id": 3, "name": "dog", "supercategory": "Canidae",
                           "keypoints": ["L_Eye"] * 17, "skeleton": []},
                          {"id": 1, "name": "antelope", "supercategory": "Bovidae",
                           "keypoints": ["L_Eye"] * 17, "skeleton": []}]}
    write_json(root / "apt36k" / "annotations" / "apt36k_annotations.json", raw)
    return raw


def wholebody_raw(root: Path, split: str = "val") -> dict:
    images = [{"license": 4, "file_name": "000000000785.jpg", "height": 425, "width": 640, "id": 785},
              {"license": 1, "file_name": "000000040083.jpg", "height": 480, "width": 640, "id": 40083}]
    ann = {"segmentation": [[1, 2, 3, 4]], "num_keypoints": 17, "area": 27789.1, "iscrowd": 0,
           "keypoints": kps(17, 300.0), "image_id": 785, "bbox": [280.79, 44.73, 218.7, 346.68],
           "category_id": 1, "id": 442619, "face_box": [358.2, 69.86, 26.36, 25.85],
           "lefthand_box": [0.0, 0.0, 0.0, 0.0], "righthand_box": [280.43, 173.12, 27.86, 24.85],
           "lefthand_kpts": [0.0] * 63, "righthand_kpts": kps(21, 300.0), "face_kpts": kps(68, 300.0),
           "face_valid": True, "lefthand_valid": False, "righthand_valid": True, "foot_valid": True,
           "foot_kpts": kps(6, 400.0)}
    raw = {"info": {"version": "1.0"}, "licenses": [], "images": images, "annotations": [ann],
           "categories": [{"supercategory": "person", "id": 1, "name": "person",
                           "keypoints": ["nose"] * 17, "skeleton": []}]}
    write_json(root / "coco_wholebody" / "annotations" / f"coco_wholebody_{split}_v1.0.json", raw)
    for img in images:
        write_image(root / "coco" / f"{split}2017" / img["file_name"], img["width"], img["height"],
                    [a[k] for a in raw["annotations"] if a["image_id"] == img["id"]
                     for k in ("keypoints", "foot_kpts", "face_kpts", "lefthand_kpts", "righthand_kpts")])
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
        write_image(root / "interhand2d" / "images" / split / images[-1]["file_name"], 334, 512,
                    [np.column_stack([uv, valid]).tolist()])
    ann_dir = root / "interhand2d" / "annotations" / "all"
    data = {"images": images, "annotations": anns}
    write_json(ann_dir / f"InterHand2.6M_{split}_data.json", data)
    write_json(ann_dir / f"InterHand2.6M_{split}_camera.json", camera)
    write_json(ann_dir / f"InterHand2.6M_{split}_joint_3d.json", joints)
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
    write_json(root / "pw3d" / "annotations" / f"3DPW_{split}.json", raw)
    for img in images:
        write_image(root / "pw3d" / "imageFiles" / img["sequence"] / img["file_name"], 1080, 1920,
                    [joint_img.tolist()])
    return raw


def _some_occluded(keypoints: list) -> list:
    """Every third keypoint occluded (v = 1), as OCHuman marks many: the "(occ)" sets need some."""
    return [1 if i % 3 == 2 and (i // 3) % 3 == 0 else v for i, v in enumerate(keypoints)]


def ochuman_raw(root: Path, split: str = "test") -> dict:
    raw = {"categories": [{"id": 1, "name": "person", "supercategory": "person",
                           "keypoints": ["nose"] * 17, "skeleton": []}],
           "images": [{"file_name": "003799.jpg", "width": 900, "height": 864, "id": 1}],
           "annotations": [{"area": 356725, "image_id": 1, "iscrowd": 0, "category_id": 1,
                            "bbox": [250, 112, 475, 751], "segmentation": {"counts": "x"},
                            "num_keypoints": 17, "id": 1, "keypoints": _some_occluded(kps(17))}],
           "info": {"description": "OCHuman"}}
    write_json(root / "ochuman" / "annotations" / f"ochuman_coco_format_{split}_range_0.00_1.00.json", raw)
    write_image(root / "ochuman" / "images" / "003799.jpg", 900, 864, _figures(raw["annotations"], 1))
    return raw


def full_raw_tree(root: Path) -> None:
    """Every manifest path of the eight pipeline datasets, in each dataset's real format."""
    coco_raw(root, "val2017")
    coco_raw(root, "train2017")
    aic_native_raw(root, "aic_val.json", AIC_IMAGES["val"])
    aic_native_raw(root, "aic_train.json", AIC_IMAGES["train"])
    for split in ("train", "val"):
        mpii_raw(root, split)
        wholebody_raw(root, split)
    for name in ("ap10k-train-split1.json", "ap10k-val-split1.json", "ap10k-test-split1.json"):
        ap10k_raw(root, name)
    apt36k_raw(root)
    for split in ("train", "test"):
        interhand_raw(root, split)
        pw3d_raw(root, split)


AIC_IMAGES = {"train": "ai_challenger_keypoint_train_20170902/keypoint_train_images_20170902",
              "val": "ai_challenger_keypoint_validation_20170911/keypoint_validation_images_20170911"}


def write_miniature(root: Path) -> list[str]:
    """The whole miniature tree under ``root`` (the eight pipeline datasets and OCHuman val/test);
    returns the dataset folders written. Overwrites the files it writes, touches nothing else."""
    full_raw_tree(root)
    for split in ("val", "test"):
        ochuman_raw(root, split)
    return sorted(p.name for p in root.iterdir() if p.is_dir())
