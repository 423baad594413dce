"""CAPE episodes: seeded, supports and queries disjoint, one category independent of the others."""

import pytest

from posebh.evaluation.cape_episodes import sample_all_episodes, sample_episodes


def test_same_seed_same_episodes_and_another_seed_other_episodes():
    a = sample_episodes("cat_body", 40, shots=5, num_queries=15, num_episodes=20, seed=0)
    b = sample_episodes("cat_body", 40, shots=5, num_queries=15, num_episodes=20, seed=0)
    c = sample_episodes("cat_body", 40, shots=5, num_queries=15, num_episodes=20, seed=1)
    assert a == b
    assert [e.supports for e in a] != [e.supports for e in c]
    assert len(a) == 20 and all(len(e.supports) == 5 and len(e.queries) == 15 for e in a)


def test_supports_and_queries_never_overlap_and_stay_in_range():
    for shots in (1, 5):
        for ep in sample_episodes("chair", 21, shots=shots, num_queries=15, num_episodes=50):
            drawn = ep.supports + ep.queries
            assert len(set(drawn)) == len(drawn) == shots + 15
            assert all(0 <= i < 21 for i in drawn)
            assert ep.category == "chair"


def test_episodes_vary_within_a_run_and_use_the_whole_category():
    eps = sample_episodes("sofa", 30, shots=1, num_queries=15, num_episodes=40, seed=3)
    assert len({e.supports for e in eps}) > 10  # not one support repeated (18 here)
    assert set().union(*(e.supports + e.queries for e in eps)) == set(range(30))


def test_a_category_draws_the_same_alone_or_beside_others():
    alone = sample_episodes("zebra_body", 25, shots=1, num_episodes=5, seed=7)
    together = sample_all_episodes({"bed": 30, "zebra_body": 25, "car": 19}, shots=1,
                                   num_episodes=5, seed=7)
    assert list(together) == ["bed", "car", "zebra_body"]
    assert together["zebra_body"] == alone
    assert together["bed"] != together["car"]  # the name, not only the seed, picks the draws


def test_too_few_instances_names_the_category():
    with pytest.raises(ValueError, match=r"'tiny_cat'.*15 instances.*needs 16"):
        sample_episodes("tiny_cat", 15, shots=1, num_queries=15)
    with pytest.raises(ValueError, match="must be >= 1"):
        sample_episodes("x", 30, shots=0)
