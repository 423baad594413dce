"""3DPW: projected SMPL joints, visibility and image paths."""

from __future__ import annotations

import numpy as np

from posebh.data.real.convert import convert_split
from posebh.data.real.miniature import pw3d_raw


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
