"""InterHand2.6M: 3D joints projected, hands kept like mmpose, and the real sample checked against
an independent projection."""

from __future__ import annotations

import json

import numpy as np
import pytest

from posebh.data.real import convert_interhand
from posebh.data.real.miniature import interhand_raw


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


def test_real_interhand(real_samples):
    d = real_samples / "interhand2.6m"
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
