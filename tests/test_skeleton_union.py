import dataclasses
import json

import numpy as np
import pytest
from tiny import METHOD, TINY_64

from posebh import skeletons
from posebh.data import bodies
from posebh.data.errors import DataError
from posebh.skeleton_union import UnionTable, build_union, load_table

LIMBS = tuple(f"{s}_{j}" for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
              for s in ("left", "right"))


def test_coco_mpii_golden_numbers_of_the_kd_paper():
    u = build_union(("coco", "mpii"))
    assert sorted(u.overlap()) == sorted(LIMBS) and len(u.overlap()) == 12
    assert u.unique("coco") == ("nose", "left_eye", "right_eye", "left_ear", "right_ear")
    assert u.unique("mpii") == ("pelvis", "thorax", "upper_neck", "head_top")
    assert u.num_keypoints == 21 == 12 + 5 + 4
    # no alias is involved: both tables spell the 12 limb joints identically
    table = load_table()
    assert table.semantic_names("coco") == skeletons.get("coco").keypoints
    assert table.semantic_names("mpii") == skeletons.get("mpii").keypoints


def test_six_sources_unmerged_are_the_prototype_banks_214_rows():
    from posebh.method.config import MethodConfig
    from posebh.method.posebh_model import PoseBHModel
    from posebh.models.config import ModelConfig

    u = build_union(skeletons.SOURCES, merge=False)
    assert u.num_keypoints == 214
    model = PoseBHModel(ModelConfig(**TINY_64, depth=1), MethodConfig(**METHOD))
    assert model.bank.prototypes.shape[0] == u.num_keypoints  # J in the suite
    assert list(u.names) == [f"{d}/{k}" for d, k in model.keypoint_labels()]
    for d, start in skeletons.global_offsets().items():
        assert u.index[d] == tuple(range(start, start + skeletons.get(d).num_keypoints))


def test_six_sources_merged_within_domains():
    u = build_union(skeletons.SOURCES)
    # human: COCO-WholeBody's 133 (COCO's 17 among them) + head_top, upper_neck (AIC's neck by
    # alias), pelvis, thorax; animal: AP-10K's 17, which APT-36K repeats; 'nose' != 'Nose'
    assert u.num_keypoints == 133 + 4 + 17
    assert u.members("apt36k") == u.members("ap10k") and "nose" in u.names and "Nose" in u.names
    assert set(u.overlap("coco", "ap10k")) == set()
    assert u.unique("mpii") == ("pelvis", "thorax") and u.unique("aic") == ()


def test_aic_neck_is_mpii_upper_neck_by_the_alias_table():
    u = build_union(("aic", "mpii"))
    aic, mpii = skeletons.get("aic"), skeletons.get("mpii")
    assert u.index["aic"][aic.index("neck")] == u.index["mpii"][mpii.index("upper_neck")]
    assert u.num_keypoints == 14 + 2  # MPII adds pelvis and thorax only


@pytest.mark.parametrize("datasets", [("coco", "mpii"), skeletons.SOURCES,
                                      skeletons.SOURCES + skeletons.TRANSFER])
def test_round_trip_dataset_union_dataset(datasets):
    u = build_union(datasets)
    for d in datasets:
        k = skeletons.get(d).num_keypoints
        values = np.arange(k * 3, dtype=np.float64).reshape(k, 3)  # (K_d, 3)
        wide = u.to_union(d, values)  # (U, 3)
        assert wide.shape == (u.num_keypoints, 3)
        np.testing.assert_array_equal(u.from_union(d, wide), values)
        assert np.isnan(wide[~u.mask(d)]).all() and not np.isnan(wide[u.mask(d)]).any()


def test_shared_points_land_on_one_union_row():
    u = build_union(("coco", "mpii"))
    fig = bodies.build_human(np.random.default_rng(0))
    kp = bodies.all_dataset_keypoints(fig)  # (K_d, 2) per dataset
    coco, mpii = u.to_union("coco", kp["coco"]), u.to_union("mpii", kp["mpii"])
    for name in LIMBS:  # same joint, two datasets' placements: within 0.03 body heights
        i = u.position(name)
        assert coco[i] == pytest.approx(kp["coco"][skeletons.get("coco").index(name)])
        assert np.linalg.norm(coco[i] - mpii[i]) < 0.03
    assert np.isnan(coco[u.position("thorax")]).all()


def test_derived_points_fill_what_a_dataset_lacks():
    u = build_union(("coco", "mpii"))
    coco = skeletons.get("coco")
    assert u.derivable("coco") == {"thorax": (coco.index("left_shoulder"),
                                              coco.index("right_shoulder")),
                                   "pelvis": (coco.index("left_hip"), coco.index("right_hip"))}
    assert u.derivable("mpii") == {}  # annotates both itself
    xy = np.random.default_rng(0).normal(size=(17, 2))
    full = u.with_derived("coco", xy)  # (21, 2)
    np.testing.assert_array_equal(full[u.position("thorax")], (xy[5] + xy[6]) / 2)
    np.testing.assert_array_equal(full[u.position("pelvis")], (xy[11] + xy[12]) / 2)
    assert np.isnan(full[u.position("head_top")]).all()
    assert build_union(("coco", "mpii"), merge=False).derivable("coco") == {}


def _write(tmp_path, aliases=None, derived=None):
    path = tmp_path / "bad_union.json"
    path.write_text(json.dumps({"aliases": aliases or {}, "derived": derived or {}}))
    return path


@pytest.mark.parametrize("aliases,derived,name", [
    ({"aic": {"neck": {"as": "uper_neck"}}}, None, "uper_neck"),  # unknown alias target
    ({"aic": {"Nose": {"as": "nose"}}}, None, "Nose"),  # not an AIC keypoint
    ({"aic": {"neck": {"as": "Neck"}}}, None, "Neck"),  # an animal name for a human point
    ({"aicc": {}}, None, "aicc"),
    ({"aic": {"neck": {"as": "head_top"}}}, None, "aic"),  # two AIC points become head_top
    (None, {"thorax": {"mean_of": ["left_shoulder", "rigth_shoulder"]}}, "rigth_shoulder"),
    (None, {"thorax": {"mean_of": "left_shoulder"}}, "mean_of"),
    ({"aic": {"neck": "upper_neck"}}, None, "neck"),  # entry without its 'as' field
])
def test_a_bad_table_is_one_clear_error(tmp_path, aliases, derived, name):
    path = _write(tmp_path, aliases, derived)
    with pytest.raises(DataError) as err:
        load_table(path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{path}: ") and name in msg


def test_a_table_that_is_not_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{")
    with pytest.raises(DataError, match=r"broken.json: not valid JSON"):
        load_table(path)


def test_the_shipped_table():
    assert load_table().aliases == {"aic": {"neck": "upper_neck"}}
    assert load_table().derived == {"thorax": ("left_shoulder", "right_shoulder"),
                               "pelvis": ("left_hip", "right_hip")}


def test_lookup_errors_name_the_culprit():
    u = build_union(("coco", "mpii"))
    with pytest.raises(KeyError, match="unknown union keypoint 'thorox'"):
        u.position("thorox")
    with pytest.raises(KeyError, match="'aic' is not in the union"):
        u.members("aic")
    with pytest.raises(ValueError, match="coco: expected 17 keypoint rows, got 16"):
        u.to_union("coco", np.zeros((16, 2)))


def test_a_human_and_an_animal_point_never_share_a_row(monkeypatch):
    real = skeletons.get
    lower = dataclasses.replace(real("ap10k"),
                                keypoints=tuple(k.lower() for k in real("ap10k").keypoints))
    monkeypatch.setattr(skeletons, "get", lambda d: lower if d == "ap10k" else real(d))
    with pytest.raises(ValueError, match=r"'nose' is a keypoint name in two domains \(human, animal\)"):
        build_union(("coco", "ap10k"), table=UnionTable({}, {}))
