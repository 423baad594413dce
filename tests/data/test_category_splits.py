"""The MP-100 category-split rule: parts disjoint, test sets disjoint, every category tested once."""

import pytest

from posebh.data.category_splits import (
    CategorySplit,
    check_category_splits,
    make_category_splits,
    split_problems,
)


def rotating_splits(categories: list[str], n: int = 5) -> list[CategorySplit]:
    """n splits: split i tests the i-th fifth, validates the next, trains on the rest."""
    folds = [categories[i::n] for i in range(n)]
    return [CategorySplit(f"split{i + 1}", train=frozenset(categories) - set(folds[i])
                          - set(folds[(i + 1) % n]),
                          val=frozenset(folds[(i + 1) % n]), test=frozenset(folds[i]))
            for i in range(n)]


def test_a_sound_five_way_split_passes():
    cats = [f"c{i:02d}" for i in range(20)]
    splits = rotating_splits(cats)
    assert split_problems(splits) == []
    assert split_problems(splits, categories=cats, expected_sizes=(12, 4, 4)) == []
    check_category_splits(splits)


def test_each_broken_rule_is_reported():
    cats = [f"c{i:02d}" for i in range(10)]
    good = rotating_splits(cats)
    leak = CategorySplit("split1", train=good[0].train | {"c00"}, val=good[0].val, test=good[0].test)
    assert split_problems([leak, *good[1:]]) == ["split split1: train and test share ['c00']"]
    twice = CategorySplit("split2", train=good[1].train - {"c00"}, val=good[1].val,
                          test=good[1].test | {"c00"})
    probs = split_problems([good[0], twice, *good[2:]])
    assert probs == ["category 'c00' is a test category in splits ['split1', 'split2']"]
    untested = [good[0], *good[2:]]  # split2's test categories never tested
    assert split_problems(untested) == ["never a test category: ['c01', 'c06']"]
    assert split_problems(good, categories=cats + ["c99"]) == ["never a test category: ['c99']"]
    assert split_problems(good, categories=cats[1:]) == [
        "test categories outside the category list: ['c00']"]
    assert split_problems(good, expected_sizes=(7, 2, 2))[0] == (
        "split split1: train/val/test have 6/2/2 categories, expected 7/2/2")
    assert split_problems([]) == ["no splits given"]


def test_check_raises_one_line_with_every_problem():
    cats = [f"c{i:02d}" for i in range(10)]
    good = rotating_splits(cats)
    bad = CategorySplit("split3", train=good[2].train, val=good[2].val | {"c02"}, test=good[2].test)
    with pytest.raises(ValueError) as err:
        check_category_splits([*good[:2], bad, *good[3:]])
    assert "\n" not in str(err.value) and "split split3: val and test share ['c02']" in str(err.value)


def test_generated_splits_follow_the_rule_at_mp100_and_synthetic_sizes():
    cats = [f"c{i:03d}" for i in range(100)]
    splits = make_category_splits(cats, 5, 10, seed=0)
    assert split_problems(splits, categories=cats, expected_sizes=(70, 10, 20)) == []
    ten = [f"s{i}" for i in range(10)]
    splits = make_category_splits(ten, 5, 2, seed=0)
    check_category_splits(splits, categories=ten, expected_sizes=(6, 2, 2))
    assert [s.name for s in splits] == [f"split{k}" for k in range(1, 6)]
    uneven = make_category_splits([f"u{i}" for i in range(11)], 5, 2)
    assert sorted(len(s.test) for s in uneven) == [2, 2, 2, 2, 3]
    assert split_problems(uneven) == []


def test_generated_splits_are_deterministic_in_the_seed_and_not_in_the_input_order():
    ten = [f"s{i}" for i in range(10)]
    assert make_category_splits(ten, 5, 2, 0) == make_category_splits(ten[::-1], 5, 2, 0)
    assert make_category_splits(ten, 5, 2, 0) != make_category_splits(ten, 5, 2, 1)


def test_the_check_goes_red_on_a_broken_generated_split():
    ten = [f"s{i}" for i in range(10)]
    good = make_category_splits(ten, 5, 2, 0)
    moved = min(good[0].test)
    leak = CategorySplit("split1", train=good[0].train | {moved}, val=good[0].val,
                         test=good[0].test)
    assert split_problems([leak, *good[1:]]) == [f"split split1: train and test share ['{moved}']"]
    with pytest.raises(ValueError, match="never a test category"):
        check_category_splits(good[1:], categories=ten)


def test_impossible_split_requests_are_refused():
    with pytest.raises(ValueError, match="need 1 <= splits"):
        make_category_splits(["a", "b"], 3, 0)
    with pytest.raises(ValueError, match="val_size"):
        make_category_splits([f"s{i}" for i in range(10)], 5, 9)
    with pytest.raises(ValueError, match="distinct"):
        make_category_splits(["a", "a", "b"], 1, 0)
