"""CAPE PCK@0.2: valid mask, strict threshold at 0.2 max(w, h), macro means, matcher and array paths."""

import numpy as np
import pytest

from posebh.evaluation.cape_episodes import CapeInstance, sample_episodes
from posebh.evaluation.cape_pck import (
    CapeResult,
    evaluate_cape,
    query_pck,
    summarise_splits,
    valid_keypoints,
)


def make_category(n: int, j: int, seed: int) -> list[CapeInstance]:
    """n instances of a j-point skeleton, all visible, boxes 80-120 px."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        box = np.array([*rng.uniform(0, 50, 2), *rng.uniform(80, 120, 2)])
        xy = box[:2] + rng.uniform(0, 1, (j, 2)) * box[2:]  # (j, 2) inside the box
        out.append(CapeInstance(np.concatenate([xy, np.full((j, 1), 2.0)], axis=1), box, i))
    return out


def test_a_keypoint_invisible_in_one_support_is_not_scored():
    sup = np.array([[1, 1, 1], [1, 0, 1]], dtype=bool)  # (S=2, J=3): point 1 hidden in support 2
    assert valid_keypoints(sup, np.array([1, 1, 0], dtype=bool)).tolist() == [True, False, False]
    gt = np.zeros((3, 2))
    pred = np.array([[0.0, 0.0], [500.0, 0.0], [500.0, 0.0]])  # points 1, 2 far off
    valid = valid_keypoints(sup, np.ones(3, dtype=bool))
    assert query_pck(pred, gt, valid, np.array([0, 0, 10, 10])) == 0.5  # point 1 not counted
    assert query_pck(pred, gt, np.zeros(3, dtype=bool), np.array([0, 0, 10, 10])) == 0.0


def test_the_valid_mask_follows_the_episode_supports_end_to_end():
    cat = make_category(24, j=4, seed=1)
    hidden = 5  # instance 5 has keypoint 2 unlabelled
    kp = cat[hidden].keypoints.copy()
    kp[2, 2] = 0
    cat[hidden] = CapeInstance(kp, cat[hidden].box, hidden)
    inst_of = {id(i.box): i for i in cat}

    def wrong_at_2(supports, query):  # perfect except keypoint 2, 1000 px off
        pred = inst_of[id(query.box)].keypoints[:, :2].copy()
        pred[2] += 1000.0
        return pred

    res = evaluate_cape({"c": cat}, wrong_at_2, shots=5, num_queries=15, num_episodes=30, seed=2)
    expected = [[1.0 if hidden in ep.supports or q == hidden else 0.75 for q in ep.queries]
                for ep in sample_episodes("c", 24, 5, 15, 30, seed=2)]
    assert any(hidden in ep.supports for ep in sample_episodes("c", 24, 5, 15, 30, seed=2))
    np.testing.assert_array_equal(res.query_scores["c"], expected)


def test_a_prediction_exactly_at_point_two_d_is_wrong_and_d_is_the_longer_side():
    gt = np.array([[50.0, 50.0]])
    box = np.array([10.0, 10.0, 100.0, 40.0])  # d = max(100, 40) = 100: threshold 20 px
    one = np.array([True])
    assert query_pck(gt + [20.0, 0.0], gt, one, box) == 0.0  # exactly 0.2 d: strict < says wrong
    assert query_pck(gt + [19.999, 0.0], gt, one, box) == 1.0
    assert query_pck(gt + [0.0, 19.999], gt, one, box) == 1.0  # the longer side, not the height
    assert query_pck(gt + [np.nan, 0.0], gt, one, box) == 0.0
    with pytest.raises(ValueError, match="positive side"):
        query_pck(gt, gt, one, np.array([0.0, 0.0, 0.0, 0.0]))


@pytest.mark.parametrize("shots", [1, 5])
def test_a_perfect_matcher_scores_100_and_a_constant_wrong_one_0(shots):
    cats = {"a": make_category(20, 5, 0), "b": make_category(26, 9, 1)}
    truth = {id(i.box): i.keypoints[:, :2] for c in cats.values() for i in c}
    perfect = evaluate_cape(cats, lambda s, q: truth[id(q.box)], shots, num_episodes=4)
    wrong = evaluate_cape(cats, lambda s, q: np.full((q.num_keypoints, 2), -1e4), shots,
                          num_episodes=4)
    assert perfect.per_category == {"a": 100.0, "b": 100.0} and perfect.mean == 100.0
    assert wrong.per_category == {"a": 0.0, "b": 0.0} and wrong.mean == 0.0
    assert perfect.micro == {"a": 100.0, "b": 100.0}


def test_a_matcher_sees_the_query_box_but_not_its_keypoints():
    seen = []
    evaluate_cape({"a": make_category(17, 3, 0)},
                  lambda s, q: seen.append((len(s), q)) or np.zeros((3, 2)), 1, num_episodes=1)
    n_sup, q = seen[0]
    assert n_sup == 1 and q.box.shape == (4,) and q.num_keypoints == 3
    assert not hasattr(q, "keypoints")


def test_array_predictions_score_the_same_as_the_matcher_that_made_them():
    cats = {"a": make_category(20, 4, 3)}
    rng = np.random.default_rng(0)
    made = []

    def noisy(supports, query):
        pred = rng.normal(60, 30, (4, 2))
        made.append(pred)
        return pred

    by_matcher = evaluate_cape(cats, noisy, 1, num_episodes=3, seed=5)
    arr = np.stack(made).reshape(3, 15, 4, 2)
    by_array = evaluate_cape(cats, {"a": arr}, 1, num_episodes=3, seed=5)
    np.testing.assert_array_equal(by_matcher.query_scores["a"], by_array.query_scores["a"])
    assert 0.0 < by_matcher.mean < 100.0
    with pytest.raises(ValueError, match=r"predictions \(3, 14, 4, 2\), expected \(3, 15, 4, 2\)"):
        evaluate_cape(cats, {"a": arr[:, :14]}, 1, num_episodes=3, seed=5)
    with pytest.raises(ValueError, match="matcher returned"):
        evaluate_cape(cats, lambda s, q: np.zeros((3, 2)), 1, num_episodes=1)


def test_macro_means_by_hand():
    # category a: 2 episodes x 2 queries; b: the same; hand-picked query scores
    r = CapeResult(shots=1,
                   query_scores={"a": np.array([[1.0, 0.5], [0.0, 1.0]]),
                                 "b": np.array([[1.0, 1.0], [0.0, 0.0]])},
                   keypoint_counts={"a": (5, 8), "b": (2, 3)})
    assert r.per_category == {"a": 62.5, "b": 50.0}
    assert r.mean == 56.25
    np.testing.assert_array_equal(r.episode_pck["a"], [75.0, 50.0])
    assert r.episode_std == 31.25  # episode means over categories: 87.5, 25.0
    assert r.micro == {"a": 62.5, "b": 200.0 / 3}  # pooled keypoints: differs where counts differ
    other = CapeResult(1, {"c": np.array([[0.25, 0.75]])}, {"c": (1, 2)})
    s = summarise_splits({"split2": other, "split1": r})
    assert s["per_split"] == {"split1": 56.25, "split2": 50.0}
    assert s["overall"] == 53.125
    assert s["per_category"]["split2"] == {"c": 50.0}


def test_evaluate_places_each_query_score_where_its_episode_is():
    cat = make_category(18, 2, 4)
    eps = sample_episodes("a", 18, 1, 15, 2, seed=0)
    arr = np.stack([[cat[q].keypoints[:, :2] for q in ep.queries] for ep in eps])  # (2, 15, 2, 2)
    arr[0, :5, 0] += 500.0  # episode 0: five queries with one of two points wrong
    arr[1, :, :] += 500.0  # episode 1: all wrong
    r = evaluate_cape({"a": cat}, {"a": arr}, 1, num_episodes=2)
    np.testing.assert_array_equal(r.query_scores["a"][0], [0.5] * 5 + [1.0] * 10)
    np.testing.assert_array_equal(r.query_scores["a"][1], [0.0] * 15)
    assert r.per_category["a"] == pytest.approx(100 * (2.5 + 10) / 30)
    assert r.keypoint_counts["a"] == (25, 60)


def test_bad_categories_are_named():
    cat = make_category(17, 3, 0)
    bad = cat[:3] + [CapeInstance(np.zeros((4, 3)), cat[3].box, 3)] + cat[4:]
    with pytest.raises(ValueError, match=r"'k' instance 3: keypoints \(4, 3\)"):
        evaluate_cape({"k": bad}, lambda s, q: np.zeros((3, 2)), 1, num_episodes=1)
    with pytest.raises(ValueError, match="no instances"):
        evaluate_cape({"e": []}, lambda s, q: np.zeros((3, 2)), 1)
    with pytest.raises(ValueError, match="no predictions"):
        evaluate_cape({"k": cat}, {}, 1, num_episodes=1)
