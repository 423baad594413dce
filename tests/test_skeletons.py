import json

import numpy as np
import pytest
from support import SHARED

from posebh import skeletons

EXPECTED = {"coco": 17, "aic": 14, "mpii": 16, "ap10k": 17, "apt36k": 17, "coco_wholebody": 133,
            "interhand2d": 21, "pw3d": 24}
REFERENCE = SHARED / "design" / "skeletons-reference.json"


@pytest.mark.parametrize("name,count", EXPECTED.items())
def test_counts_and_table_shapes(name, count):
    sk = skeletons.get(name)
    assert sk.num_keypoints == count
    assert len(sk.joint_weights) == count
    assert sk.sigmas is None or (len(sk.sigmas) == count and min(sk.sigmas) > 0)
    assert all(0 <= a < count and 0 <= b < count for a, b in sk.edges)


def test_global_index_is_214_in_paper_order():
    assert sum(skeletons.get(d).num_keypoints for d in skeletons.SOURCES) == 214
    assert skeletons.global_offsets() == {"coco": 0, "aic": 17, "mpii": 31, "ap10k": 47,
                                          "apt36k": 64, "coco_wholebody": 81}


@pytest.mark.parametrize("name", EXPECTED)
def test_flip_pairs_are_symmetric_left_right(name):
    sk = skeletons.get(name)
    idx = sk.flip_index()
    np.testing.assert_array_equal(idx[idx], np.arange(sk.num_keypoints))
    for a, b in sk.flip_pairs:
        na, nb = sk.keypoints[a].lower(), sk.keypoints[b].lower()
        if na.startswith("face"):
            continue  # face landmarks are named by index only
        is_left = lambda n: "left" in n or n.startswith("l_")  # noqa: E731
        assert is_left(na) != is_left(nb), (na, nb)


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown dataset 'coco18'"):
        skeletons.get("coco18")


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/design reference absent")
def test_tables_match_the_published_reference():
    ref = json.loads(REFERENCE.read_text())["datasets"]
    for name in EXPECTED:
        r = ref["ap10k" if name == "apt36k" else name]
        sk = skeletons.get(name)
        assert list(sk.keypoints) == r["keypoints"]
        assert [list(p) for p in sk.flip_pairs] == r["flip_pairs"]
        assert (sk.sigmas is None and r["sigmas"] is None) or list(sk.sigmas) == r["sigmas"]


def test_protocol_flags():
    assert skeletons.get("aic").use_area is False
    assert skeletons.get("coco").udp and skeletons.get("mpii").udp
    assert not skeletons.get("ap10k").udp
    assert skeletons.get("mpii").metric == "pckh" and skeletons.get("interhand2d").metric == "pck"
