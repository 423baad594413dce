"""Category splits for category-agnostic pose (the MP-100 rule of POMNet, ``related-systems-and-
metrics.md`` §1.4 and §4): several splits, each a train / val / test partition of *categories*.

Rules checked by ``split_problems``:

1. inside a split, train, val and test share no category (novel means never trained on);
2. the test sets of different splits share no category;
3. every category (of the splits, or of ``categories`` when given) is a test category in exactly
   one split: together with 2, the test sets partition the categories.

MP-100 itself: 100 categories, 5 splits of 70 / 10 / 20. The counts are not a rule here (a
synthetic set has fewer categories); ``expected_sizes`` checks them where a caller wants it.

``make_category_splits`` draws splits that follow the rule: the categories in a seeded random
order are cut into ``n_splits`` consecutive test groups (sizes within one of each other); split
k validates on the ``val_size`` categories that follow its test group (cyclically) and trains on
the rest. 100 categories, 5 splits, ``val_size`` 10 give MP-100's 70 / 10 / 20.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

PARTS: tuple[str, ...] = ("train", "val", "test")


@dataclass(frozen=True)
class CategorySplit:
    """One split: the category names of its train, val and test parts."""

    name: str
    train: frozenset[str]
    val: frozenset[str]
    test: frozenset[str]

    def part(self, part: str) -> frozenset[str]:
        return {"train": self.train, "val": self.val, "test": self.test}[part]


def split_problems(splits: Sequence[CategorySplit], categories: Collection[str] | None = None,
                   expected_sizes: tuple[int, int, int] | None = None) -> list[str]:
    """Every broken rule, one short sentence each (empty when the splits follow the MP-100 rule)."""
    problems: list[str] = []
    if not splits:
        return ["no splits given"]
    for s in splits:
        for i, a in enumerate(PARTS):
            for b in PARTS[i + 1:]:
                both = sorted(s.part(a) & s.part(b))
                if both:
                    problems.append(f"split {s.name}: {a} and {b} share {both}")
        if expected_sizes is not None:
            sizes = tuple(len(s.part(p)) for p in PARTS)
            if sizes != expected_sizes:
                problems.append(f"split {s.name}: train/val/test have {sizes[0]}/{sizes[1]}/"
                                f"{sizes[2]} categories, expected {'/'.join(map(str, expected_sizes))}")
    tested_in: dict[str, list[str]] = {}
    for s in splits:
        for c in s.test:
            tested_in.setdefault(c, []).append(s.name)
    for c, where in sorted(tested_in.items()):
        if len(where) > 1:
            problems.append(f"category {c!r} is a test category in splits {where}")
    universe = set(categories) if categories is not None else set().union(
        *(s.part(p) for s in splits for p in PARTS))
    never = sorted(universe - set(tested_in))
    if never:
        problems.append(f"never a test category: {never}")
    unknown = sorted(set(tested_in) - universe)
    if unknown:
        problems.append(f"test categories outside the category list: {unknown}")
    return problems


def check_category_splits(splits: Sequence[CategorySplit],
                          categories: Collection[str] | None = None,
                          expected_sizes: tuple[int, int, int] | None = None) -> None:
    """``ValueError`` with every broken rule on one line; silent when the splits are sound."""
    problems = split_problems(splits, categories, expected_sizes)
    if problems:
        raise ValueError("; ".join(problems))


def make_category_splits(categories: Collection[str], n_splits: int, val_size: int,
                         seed: int = 0) -> list[CategorySplit]:
    """``n_splits`` splits ``split1``... of ``categories`` following the rule (module docstring);
    deterministic in (sorted categories, n_splits, val_size, seed)."""
    names = sorted(set(categories))
    if len(names) != len(categories):
        raise ValueError("category names must be distinct")
    if not 1 <= n_splits <= len(names):
        raise ValueError(f"{n_splits} splits of {len(names)} categories: need 1 <= splits <= "
                         "categories (every split tests at least one)")
    order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    bounds = np.linspace(0, len(names), n_splits + 1).round().astype(int)  # (n_splits + 1,)
    if val_size < 0 or val_size > len(names) - int(np.diff(bounds).max()):
        raise ValueError(f"val_size {val_size}: must leave the largest test group out of "
                         f"{len(names)} categories")
    splits = []
    for k in range(n_splits):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        rest = order[hi:] + order[:lo]  # the categories after the test group, cyclically
        splits.append(CategorySplit(f"split{k + 1}", train=frozenset(rest[val_size:]),
                                    val=frozenset(rest[:val_size]),
                                    test=frozenset(order[lo:hi])))
    return splits
