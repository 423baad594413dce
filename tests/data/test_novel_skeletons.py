"""Novel skeletons (CAPE, issue #16): read off the figure models, none a dataset's, mostly unseen."""

import json

import numpy as np
import pytest

from posebh import skeletons
from posebh.data import bodies
from posebh.data import novel_skeletons as ns
from posebh.data.errors import DataError

TABLE = ns.load_novel_skeletons()
MIN_SHARE = 0.5  # every novel skeleton: at least half its points are no source keypoint
MIN_OVERALL = 0.7  # over all novel keypoints together


def test_at_least_eight_skeletons_over_every_domain():
    assert len(TABLE) >= 8
    assert {s.domain for s in TABLE.values()} == set(bodies.DOMAIN_DATASETS)
    assert {d: skeletons.get(st).domain for d, st in ns.load_table().styles.items()} == {
        d: d for d in bodies.DOMAIN_DATASETS}
    assert ns.load_table().styles["hand"] == "interhand2d"  # the transfer target's scene style


@pytest.mark.parametrize("name", list(TABLE))
def test_every_point_is_on_its_domain_figure(name):
    sk = TABLE[name]
    for seed in range(3):
        fig = bodies.build_figure(sk.domain, np.random.default_rng(seed))
        for k in sk.keypoints:
            assert k.a in fig.names and k.b in fig.names, (name, k)
        xy = ns.read_keypoints(fig, sk)
        assert xy.shape == (sk.num_keypoints, 2) and np.isfinite(xy).all()
    assert all(0 <= a < sk.num_keypoints and 0 <= b < sk.num_keypoints for a, b in sk.edges)


def test_a_midpoint_is_read_between_its_two_points():
    sk = TABLE["human_limb_midpoints"]
    fig = bodies.build_figure("human", np.random.default_rng(0))
    fig.A, fig.t = np.array([[2.0, 0.5], [-0.5, 2.0]]) * 40, np.array([80.0, 60.0])
    xy = ns.read_keypoints(fig, sk)
    j = sk.names.index("left_mid_thigh")
    assert np.allclose(xy[j], 0.5 * (fig.p("left_hip") + fig.p("left_knee")))
    back = TABLE["animal_topline"]
    afig = bodies.build_figure("animal", np.random.default_rng(1))
    quarter = ns.read_keypoints(afig, back)[back.names.index("back_front")]
    assert np.allclose(quarter, 0.75 * afig.p("Neck") + 0.25 * afig.p("Root of tail"))


def _dataset_points(dataset: str) -> set[tuple[str, str, float]]:
    alias = bodies.KEYPOINT_SOURCES.get(dataset, {})
    return {(alias.get(k, k),) * 2 + (0.0,) for k in skeletons.get(dataset).keypoints}


def test_no_novel_skeleton_is_a_source_or_transfer_skeleton():
    for name, sk in TABLE.items():
        mine = {(k.a, k.b, k.t) for k in sk.keypoints}
        for d in skeletons.SOURCES + skeletons.TRANSFER:
            assert mine != _dataset_points(d), (name, d)
            assert not mine <= _dataset_points(d), f"{name} is a subset of {d}"
            assert sk.names != skeletons.get(d).keypoints
    assert len({tuple(sorted(s.names)) for s in TABLE.values()}) == len(TABLE)


def test_most_points_are_no_source_keypoint():
    seen = ns.source_points()
    shares = {n: ns.novel_share(s, seen) for n, s in TABLE.items()}
    assert min(shares.values()) >= MIN_SHARE, shares
    total = sum(s.num_keypoints for s in TABLE.values())
    unseen = sum(shares[n] * s.num_keypoints for n, s in TABLE.items())
    assert unseen / total >= MIN_OVERALL


def test_the_share_counts_source_points_as_seen():
    """Red if ``is_seen`` stopped recognising source points (then every share would read 1)."""
    seen = ns.source_points()
    assert {"nose", "left_big_toe", "face-36", "left_thumb4", "pelvis", "neck", "L_F_Paw"} <= seen
    assert not {"spine1", "jaw", "tail1", "ear_tip", "palm_ulnar"} & seen
    coco_like = ns.NovelSkeleton("x", "human", "", tuple(
        ns.NovelKeypoint(k, k, k, 0.0) for k in skeletons.get("coco").keypoints), ())
    assert ns.novel_share(coco_like, seen) == 0.0
    thumb_tip = ns.NovelKeypoint("thumb4", "thumb4", "thumb4", 0.0)  # the hand figure's
    assert ns.is_seen(thumb_tip, seen)  # COCO-WholeBody labels left_thumb4 / right_thumb4
    assert not ns.is_seen(ns.NovelKeypoint("m", "thumb3", "thumb4", 0.5), seen)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["skeletons"]["hand_palm"]["keypoints"].append("tail1"), "not a point of the figure"),
    (lambda d: d["skeletons"]["hand_palm"]["edges"].append(["hand_root", "nowhere"]), "edge"),
    (lambda d: d["skeletons"]["hand_palm"]["keypoints"].append(
        {"name": "q", "between": ["thumb1", "thumb2"], "t": 1.5}), "0 < t < 1"),
    (lambda d: d["styles"].update(hand="coco"), "is not a hand dataset"),
    (lambda d: d["skeletons"].update(coco=d["skeletons"]["hand_palm"]), "name of a dataset"),
])
def test_a_bad_table_is_a_one_line_error_naming_the_file(tmp_path, change, message):
    doc = json.loads(ns._TABLE.read_text())
    change(doc)
    path = tmp_path / "novel.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataError, match=message) as err:
        ns.load_table(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)
