"""CAPE PCK@0.2 over seeded episodes: per category, per split and overall (POMNet / MP-100).

Rules pinned here (``related-systems-and-metrics.md`` §1.5; POMNet's released evaluator, which calls
mmpose 0.x ``keypoint_pck_accuracy`` once per query):

* valid keypoints of a query = visible (v > 0) in the query AND in every support of its episode;
* d = max(w, h) of the query's xywh box (the converter cleans MP-100 boxes as POMNet does);
* a keypoint is correct iff ``||(pred - gt) / d|| < 0.2``: **strict** ``<``, as the code (the
  paper's Eq. 4 writes ``<=``); a prediction exactly at 0.2 d is wrong;
* per-query score = mean over its valid keypoints; a query with none scores 0 (mmpose's avg 0.0);
* category PCK = mean over its queries (episodes x queries); a split's PCK = the plain mean of its
  categories' PCK; the overall = the plain mean of the splits (POMNet's "Mean" column).
  Every category has the same number of queries, so the first two equal the code's single mean.
* ``micro``: the paper's pooled form (correct / valid keypoints over all of a category's queries),
  kept beside the headline only as a flag of the difference.

Values are in percent. A matcher is any function ``(supports, query) -> (J, 2) keypoints`` in the
query image's pixels; it sees the query's box and image but never its keypoints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from posebh.evaluation.cape_episodes import (
    CAPE_QUERIES,
    CAPE_TEST_EPISODES,
    CapeInstance,
    CapeQuery,
    Episode,
    sample_episodes,
)

CAPE_PCK_THR = 0.2

Matcher = Callable[[Sequence[CapeInstance], CapeQuery], np.ndarray]
# or, per category, the predictions for sample_episodes(...)'s order: (E, Q, J, 2 or 3)
Predictions = Matcher | Mapping[str, np.ndarray]


def valid_keypoints(support_visible: np.ndarray, query_visible: np.ndarray) -> np.ndarray:
    """(S, J), (J,) visibility -> (J,) bool: visible in the query and in every support."""
    s = np.asarray(support_visible, dtype=bool)
    q = np.asarray(query_visible, dtype=bool)
    if s.ndim != 2 or q.shape != s.shape[1:]:
        raise ValueError(f"visibility shapes {s.shape} and {q.shape}: expected (S, J) and (J,)")
    return q & s.all(axis=0)


def keypoint_correct(pred: np.ndarray, gt: np.ndarray, box: np.ndarray,
                     thr: float = CAPE_PCK_THR) -> np.ndarray:
    """(J,) bool: ||(pred - gt) / d|| < thr with d = max(w, h) of the xywh ``box`` (strict, as
    mmpose); a NaN prediction is wrong. pred, gt (J, 2)."""
    p = np.asarray(pred, dtype=np.float64)
    g = np.asarray(gt, dtype=np.float64)
    if p.shape != g.shape or p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"prediction {p.shape} and truth {g.shape}: expected (J, 2) both")
    d = float(max(box[2], box[3]))
    if not d > 0:
        raise ValueError(f"box {list(box)} has no positive side: PCK needs d = max(w, h) > 0")
    dist = np.linalg.norm((p - g) / d, axis=-1)  # (J,) as mmpose: the offset scaled, then normed
    return dist < thr


def query_pck(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray, box: np.ndarray,
              thr: float = CAPE_PCK_THR) -> float:
    """One query's score in [0, 1]: share of its valid keypoints that are correct; 0.0 when none
    is valid (mmpose's avg for cnt = 0). pred, gt (J, 2), valid (J,)."""
    v = np.asarray(valid, dtype=bool)
    hits = keypoint_correct(pred, gt, box, thr)  # (J,)
    if v.shape != hits.shape:
        raise ValueError(f"valid mask {v.shape}, expected {hits.shape}")
    return float(np.mean(hits[v])) if v.any() else 0.0


@dataclass(frozen=True)
class CapeResult:
    """Scores of one split at one shot count: per category the (E, Q) query scores and the pooled
    keypoint counts; everything else is derived from them (percent)."""

    shots: int
    query_scores: dict[str, np.ndarray]  # category -> (E, Q) fractions in [0, 1]
    keypoint_counts: dict[str, tuple[int, int]]  # category -> (correct, valid) over all queries

    @property
    def per_category(self) -> dict[str, float]:
        """PCK@0.2 of each category: mean over its queries, percent."""
        return {c: 100.0 * float(np.mean(s)) for c, s in sorted(self.query_scores.items())}

    @property
    def episode_pck(self) -> dict[str, np.ndarray]:
        """(E,) PCK of each episode of each category (mean over its queries), percent."""
        return {c: 100.0 * s.mean(axis=1) for c, s in sorted(self.query_scores.items())}

    @property
    def mean(self) -> float:
        """The split's PCK@0.2: plain mean over its categories, percent."""
        return float(np.mean(list(self.per_category.values())))

    @property
    def episode_std(self) -> float:
        """Spread over episodes: std (ddof 0) over e of the category-mean of episode e's PCK."""
        per_episode = np.mean(np.stack(list(self.episode_pck.values())), axis=0)  # (E,)
        return float(np.std(per_episode))

    @property
    def micro(self) -> dict[str, float]:
        """The paper's pooled form per category: 100 * correct / valid keypoints (strict <)."""
        return {c: 100.0 * k / n if n else 0.0 for c, (k, n) in sorted(self.keypoint_counts.items())}


def _check_category(category: str, instances: Sequence[CapeInstance]) -> int:
    """The category's keypoint count J; ``ValueError`` naming the instance that breaks the shapes."""
    if not instances:
        raise ValueError(f"category {category!r} has no instances")
    j = instances[0].num_keypoints
    for i, inst in enumerate(instances):
        kp, box = np.asarray(inst.keypoints), np.asarray(inst.box)
        if kp.shape != (j, 3) or box.shape != (4,):
            raise ValueError(f"category {category!r} instance {i}: keypoints {kp.shape} and box "
                             f"{box.shape}, expected ({j}, 3) and (4,) like instance 0")
    return j


def _episode_predictions(category: str, predict: Predictions, episodes: Sequence[Episode],
                         instances: Sequence[CapeInstance], j: int) -> np.ndarray:
    """(E, Q, J, 2) predictions: the matcher run on each query, or the given array checked."""
    e, q = len(episodes), len(episodes[0].queries)
    if not callable(predict):
        if category not in predict:
            raise ValueError(f"category {category!r}: no predictions given")
        arr = np.asarray(predict[category], dtype=np.float64)
        if arr.ndim != 4 or arr.shape[:3] != (e, q, j) or arr.shape[3] < 2:
            raise ValueError(f"category {category!r}: predictions {arr.shape}, expected "
                             f"({e}, {q}, {j}, 2) in sample_episodes order")
        return arr[..., :2]
    out = np.empty((e, q, j, 2))
    for a, ep in enumerate(episodes):
        supports = [instances[i] for i in ep.supports]
        for b, qi in enumerate(ep.queries):
            pred = np.asarray(predict(supports, instances[qi].as_query()), dtype=np.float64)
            if pred.ndim != 2 or pred.shape[0] != j or pred.shape[1] < 2:
                raise ValueError(f"category {category!r}: the matcher returned {pred.shape}, "
                                 f"expected ({j}, 2)")
            out[a, b] = pred[:, :2]
    return out


def evaluate_cape(categories: Mapping[str, Sequence[CapeInstance]], predict: Predictions,
                  shots: int, num_queries: int = CAPE_QUERIES,
                  num_episodes: int = CAPE_TEST_EPISODES, seed: int = 0,
                  thr: float = CAPE_PCK_THR) -> CapeResult:
    """Score one split's novel categories at ``shots`` supports (see the module docstring)."""
    scores: dict[str, np.ndarray] = {}
    counts: dict[str, tuple[int, int]] = {}
    for category in sorted(categories):
        instances = categories[category]
        j = _check_category(category, instances)
        episodes = sample_episodes(category, len(instances), shots, num_queries, num_episodes, seed)
        preds = _episode_predictions(category, predict, episodes, instances, j)  # (E, Q, J, 2)
        s = np.zeros((len(episodes), num_queries))
        correct = valid_total = 0
        for a, ep in enumerate(episodes):
            sup_vis = np.stack([instances[i].keypoints[:, 2] > 0 for i in ep.supports])  # (S, J)
            for b, qi in enumerate(ep.queries):
                query = instances[qi]
                valid = valid_keypoints(sup_vis, query.keypoints[:, 2] > 0)  # (J,)
                hits = keypoint_correct(preds[a, b], query.keypoints[:, :2], query.box, thr) & valid
                s[a, b] = hits.sum() / valid.sum() if valid.any() else 0.0  # = query_pck
                correct, valid_total = correct + int(hits.sum()), valid_total + int(valid.sum())
        scores[category], counts[category] = s, (correct, valid_total)
    return CapeResult(shots=shots, query_scores=scores, keypoint_counts=counts)


def summarise_splits(results: Mapping[str, CapeResult]) -> dict[str, object]:
    """Per split the category macro mean and per category PCK; overall = mean of the split means."""
    if not results:
        raise ValueError("no split results to summarise")
    per_split = {name: r.mean for name, r in sorted(results.items())}
    return {"per_split": per_split,
            "per_category": {name: r.per_category for name, r in sorted(results.items())},
            "overall": float(np.mean(list(per_split.values())))}
