"""CAPE episodes: seeded K-shot draws of supports and queries within one category (POMNet, MP-100).

The protocol (``related-systems-and-metrics.md`` §1.4, §4; POMNet's released test config): per
novel category, ``num_episodes`` episodes, each ``shots`` supports + ``num_queries`` queries drawn
*without replacement* from that category's instances, supports first. POMNet's test uses 200
episodes x 15 queries (3,000 queries per category); its validation 100 x 15.

Determinism: one numpy ``Generator`` per category, seeded by ``(seed, crc32(category name))``, so
the same seed always gives the same episodes and a category's episodes do not depend on which other
categories are evaluated beside it. (POMNet draws with Python's ``random.sample`` after
``random.seed(1)`` over its own instance order; that exact stream is not reproduced here.)
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

CAPE_SHOTS: tuple[int, ...] = (1, 5)
CAPE_QUERIES = 15  # queries per episode (POMNet test and val configs)
CAPE_TEST_EPISODES = 200  # per category (POMNet test config: 200 x 15 = 3,000 queries)


@dataclass(frozen=True)
class CapeInstance:
    """One annotated instance: ``keypoints`` (J, 3) as x, y, v in image pixels (visible iff v > 0),
    ``box`` (4,) xywh in pixels, the image it lies in (id and, where known, file name)."""

    keypoints: np.ndarray  # (J, 3)
    box: np.ndarray  # (4,) x, y, w, h
    image_id: int
    image_file: str = ""

    @property
    def num_keypoints(self) -> int:
        return int(self.keypoints.shape[0])

    def as_query(self) -> CapeQuery:
        """What a matcher may see of a query: no keypoints (they are the answer)."""
        return CapeQuery(box=self.box, image_id=self.image_id, image_file=self.image_file,
                         num_keypoints=self.num_keypoints)


@dataclass(frozen=True)
class CapeQuery:
    """A query as handed to a matcher: its box (xywh), image and how many keypoints to predict."""

    box: np.ndarray  # (4,)
    image_id: int
    image_file: str
    num_keypoints: int


@dataclass(frozen=True)
class Episode:
    """One episode of a category: indices into that category's instance list."""

    category: str
    supports: tuple[int, ...]  # (shots,)
    queries: tuple[int, ...]  # (num_queries,), disjoint from supports


def category_rng(category: str, seed: int) -> np.random.Generator:
    """The generator of one category's episodes: a function of (seed, category name) only."""
    return np.random.default_rng([int(seed), zlib.crc32(category.encode("utf-8"))])


def sample_episodes(category: str, num_instances: int, shots: int,
                    num_queries: int = CAPE_QUERIES, num_episodes: int = CAPE_TEST_EPISODES,
                    seed: int = 0) -> list[Episode]:
    """``num_episodes`` episodes of ``shots`` supports + ``num_queries`` queries, no overlap inside
    an episode; ``ValueError`` where the category has fewer than ``shots + num_queries`` instances."""
    if shots < 1 or num_queries < 1 or num_episodes < 1:
        raise ValueError(f"category {category!r}: shots, num_queries and num_episodes must be >= 1 "
                         f"(got {shots}, {num_queries}, {num_episodes})")
    need = shots + num_queries
    if num_instances < need:
        raise ValueError(f"category {category!r}: {num_instances} instances, an episode needs "
                         f"{need} ({shots} supports + {num_queries} queries)")
    rng = category_rng(category, seed)
    episodes = []
    for _ in range(num_episodes):
        drawn = rng.choice(num_instances, size=need, replace=False)  # (need,) distinct indices
        episodes.append(Episode(category, tuple(int(i) for i in drawn[:shots]),
                                tuple(int(i) for i in drawn[shots:])))
    return episodes


def sample_all_episodes(categories: Mapping[str, int], shots: int,
                        num_queries: int = CAPE_QUERIES, num_episodes: int = CAPE_TEST_EPISODES,
                        seed: int = 0) -> dict[str, list[Episode]]:
    """``sample_episodes`` for every category (name -> instance count), in sorted name order."""
    return {c: sample_episodes(c, categories[c], shots, num_queries, num_episodes, seed)
            for c in sorted(categories)}
