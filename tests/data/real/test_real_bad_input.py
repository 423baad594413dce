"""One broken field in a converter's published input gives one line that starts with the file to
blame (the converters that share this shape; COCO's and APT-36K's own tables sit in their files)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support import one_line

from posebh.data.errors import DataError
from posebh.data.real import (
    convert_aic,
    convert_interhand,
    convert_mpii,
    convert_pw3d,
    convert_wholebody,
)
from posebh.data.real.miniature import (
    aic_native_raw,
    interhand_raw,
    mpii_raw,
    pw3d_raw,
    wholebody_raw,
    write_json,
)

MPII = "mpii/annotations/mpii_val.json"
MPII_MAT = "mpii/annotations/mpii_gt_val.mat"
PW3D = "pw3d/annotations/3DPW_test.json"
AIC = "aic/annotations/keypoint_validation_annotations_20170911.json"
WHOLEBODY = "coco_wholebody/annotations/coco_wholebody_val_v1.0.json"
HANDS = "interhand2d/annotations/all/InterHand2.6M_test_"


@dataclass(frozen=True)
class Case:
    id: str
    write: Callable[[Path], Any]  # the valid raw files under tmp_path
    source: str  # the JSON file the fault is made from
    change: Callable[[Any], Any]  # breaks it in place, or returns the broken content
    convert: Callable[[dict], Any]
    files: dict[str, str]  # role -> path under tmp_path
    blamed: str  # the file the message starts with
    fragment: str
    target: str | None = field(default=None)  # where the broken content goes (default: source)


CASES = [
    # the .mat has 3 columns, the JSON 2 persons
    Case("mpii-mat-columns", lambda r: mpii_raw(r, "val"), MPII, lambda raw: raw[:2], convert_mpii.convert,
         {"annotations": "short.json", "images": "mpii/images", "head_boxes": MPII_MAT}, MPII_MAT,
         "expected (16, 2, 2)", target="short.json"),
    Case("mpii-15-joints", lambda r: mpii_raw(r, "val"), MPII,
         lambda raw: raw[0].update(joints=raw[0]["joints"][:15]), convert_mpii.convert,
         {"annotations": MPII, "images": "mpii/images"}, MPII,
         "[0] (005808361.jpg): joints must be 16 x 2"),
    Case("pw3d-23-joints", pw3d_raw, PW3D,
         lambda raw: raw["annotations"][0].update(smpl_joint_img=[[0, 0, 0]] * 23), convert_pw3d.convert,
         {"annotations": PW3D, "images": "pw3d/imageFiles"}, PW3D,
         "smpl_joint_img has 69 values, expected 72"),
    Case("aic-visibility-4", aic_native_raw, AIC,
         lambda raw: raw[0]["keypoint_annotations"]["human1"].__setitem__(2, 4), convert_aic.convert,
         {"annotations": AIC, "images": "aic/val"}, AIC, "visibility 4 of keypoint 0 is not 1, 2 or 3"),
    Case("wholebody-face-201", wholebody_raw, WHOLEBODY,
         lambda raw: raw["annotations"][0].update(face_kpts=[0] * 201), convert_wholebody.convert,
         {"annotations": WHOLEBODY, "images": "coco/val2017"}, WHOLEBODY,
         "face_kpts has 201 values, expected 204"),
    Case("interhand-no-camera", interhand_raw, HANDS + "camera.json",
         lambda cam: cam["3"].update(campos={}), convert_interhand.convert,
         {"annotations": HANDS + "data.json", "camera": HANDS + "camera.json",
          "joints": HANDS + "joint_3d.json", "images": "interhand2d/images/test"},
         HANDS + "camera.json", "no camera '400026' for capture 3"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_in_other_formats(tmp_path: Path, case: Case) -> None:
    case.write(tmp_path)
    raw = json.loads((tmp_path / case.source).read_text())
    broken = case.change(raw)
    write_json(tmp_path / (case.target or case.source), raw if broken is None else broken)
    with pytest.raises(DataError) as err:
        case.convert({role: tmp_path / rel for role, rel in case.files.items()})
    one_line(err, tmp_path / case.blamed, case.fragment)
