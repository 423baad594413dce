"""Novel skeletons for the CAPE track (issue #16): keypoint sets no training dataset defines, read
off the synthetic figure models (``bodies.py``).

The facts live in ``novel_skeletons.json`` beside this file; this module loads them into typed
records and reads a skeleton's keypoints off a placed figure. A keypoint is a canonical point of
its domain's figure model (``spine1``, ``ear_tip``, ``palm_ulnar``, ...) or a point between two
canonical points, ``(1 - t) * a + t * b`` in figure-local units (mid-upper-arm, mid-phalanx, a
quarter of the back line). Points are read exactly, without the per-dataset placement offsets of
``bodies.KEYPOINT_OFFSETS``. ``styles`` names, per domain, the source dataset whose scene style
the CAPE set is drawn in (the hand domain: the style of the transfer target InterHand2.6M).

"Seen" points (``source_points``): the canonical points the six source datasets annotate (their
keypoints through ``bodies.KEYPOINT_SOURCES``); a point of the one-hand figure counts as seen
where the whole-body figure's ``left_``/``right_`` version of it is (COCO-WholeBody's hands).
Interpolated points are never seen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from posebh import skeletons
from posebh.data import bodies
from posebh.data.bodies import Figure
from posebh.data.errors import DataError

_TABLE = Path(__file__).with_name("novel_skeletons.json")


@dataclass(frozen=True)
class NovelKeypoint:
    """One keypoint: ``(1 - t) * a + t * b`` of canonical points ``a``, ``b`` (``a == b``: ``a``)."""

    name: str
    a: str
    b: str
    t: float

    @property
    def interpolated(self) -> bool:
        return self.a != self.b


@dataclass(frozen=True)
class NovelSkeleton:
    """One novel skeleton (one CAPE category): its domain, keypoints and drawing edges."""

    name: str
    domain: str  # "human", "animal" or "hand"
    description: str
    keypoints: tuple[NovelKeypoint, ...]
    edges: tuple[tuple[int, int], ...]  # 0-based index pairs into ``keypoints``

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keypoints)

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoints)


@dataclass(frozen=True)
class NovelTable:
    """Everything in ``novel_skeletons.json``."""

    styles: dict[str, str]  # domain -> source dataset whose scene style draws that domain
    skeletons: dict[str, NovelSkeleton]

    def style(self, skeleton: str) -> str:
        return self.styles[self.skeletons[skeleton].domain]


@cache
def canonical_points(domain: str) -> frozenset[str]:
    """Every canonical point name of ``domain``'s figure model."""
    return frozenset(bodies.build_figure(domain, np.random.default_rng(0)).names)


def _keypoint(entry, path: Path, where: str, canon: frozenset[str]) -> NovelKeypoint:
    if isinstance(entry, str):
        kp = NovelKeypoint(entry, entry, entry, 0.0)
    elif isinstance(entry, dict) and set(entry) == {"name", "between", "t"}:
        between, t = entry["between"], entry["t"]
        if not (isinstance(between, list) and len(between) == 2 and isinstance(t, (int, float))
                and 0.0 < t < 1.0 and between[0] != between[1]):
            raise DataError(path, f"{where}: 'between' must name two points and 0 < t < 1")
        kp = NovelKeypoint(str(entry["name"]), str(between[0]), str(between[1]), float(t))
    else:
        raise DataError(path, f"{where}: a keypoint is a point name or {{name, between, t}} "
                              f"(got {entry!r})")
    unknown = sorted({kp.a, kp.b} - canon)
    if unknown:
        raise DataError(path, f"{where}: {unknown} not a point of the figure model")
    return kp


def _skeleton(name: str, d: dict, path: Path, styles: dict[str, str]) -> NovelSkeleton:
    domain = d.get("domain")
    if domain not in styles:
        raise DataError(path, f"skeleton {name!r}: domain {domain!r} has no style "
                              f"(styles: {sorted(styles)})")
    canon = canonical_points(domain)
    kps = tuple(_keypoint(e, path, f"skeleton {name!r} keypoint {i}", canon)
                for i, e in enumerate(d.get("keypoints", [])))
    names = [k.name for k in kps]
    if not kps or len(set(names)) != len(names):
        raise DataError(path, f"skeleton {name!r}: needs keypoints with distinct names")
    index = {n: i for i, n in enumerate(names)}
    edges = []
    for e in d.get("edges", []):
        if not (isinstance(e, list) and len(e) == 2 and all(x in index for x in e)):
            raise DataError(path, f"skeleton {name!r}: edge {e!r} must join two of its keypoints")
        edges.append((index[e[0]], index[e[1]]))
    return NovelSkeleton(name, domain, str(d.get("description", "")), kps, tuple(edges))


@cache
def load_table(path: Path = _TABLE) -> NovelTable:
    """Read and check ``path``; a one-line ``DataError`` naming the file and the problem."""
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise DataError(path, f"cannot read the novel-skeleton table ({err})") from None
    styles = dict(raw.get("styles", {}))
    for domain, style in styles.items():
        if style not in skeletons.load_skeletons() or skeletons.get(style).domain != domain:
            raise DataError(path, f"style of {domain!r}: {style!r} is not a {domain} dataset")
    known = set(skeletons.load_skeletons())
    table = {}
    for name, d in raw.get("skeletons", {}).items():
        if name in known:
            raise DataError(path, f"skeleton {name!r}: the name of a dataset skeleton")
        table[name] = _skeleton(name, d, path, styles)
    if not table:
        raise DataError(path, "no skeletons")
    return NovelTable(styles, table)


def load_novel_skeletons() -> dict[str, NovelSkeleton]:
    """Every novel skeleton, keyed by name, in table order."""
    return load_table().skeletons


def get(name: str) -> NovelSkeleton:
    table = load_novel_skeletons()
    if name not in table:
        raise KeyError(f"unknown novel skeleton {name!r}; known: {', '.join(table)}")
    return table[name]


def read_keypoints(fig: Figure, skeleton: NovelSkeleton) -> np.ndarray:
    """``skeleton``'s keypoints on ``fig`` in image pixels, (J, 2), in keypoint order."""
    ia = [fig.names[k.a] for k in skeleton.keypoints]
    ib = [fig.names[k.b] for k in skeleton.keypoints]
    t = np.array([k.t for k in skeleton.keypoints])[:, None]  # (J, 1)
    local = (1.0 - t) * fig.local[ia] + t * fig.local[ib]  # (J, 2) figure-local units
    return fig.to_image(local)


def source_points(datasets: tuple[str, ...] = skeletons.SOURCES) -> frozenset[str]:
    """The canonical points ``datasets`` annotate (through ``bodies.KEYPOINT_SOURCES``)."""
    out: set[str] = set()
    for d in datasets:
        alias = bodies.KEYPOINT_SOURCES.get(d, {})
        out |= {alias.get(k, k) for k in skeletons.get(d).keypoints}
    return frozenset(out)


def is_seen(keypoint: NovelKeypoint, seen: frozenset[str]) -> bool:
    """A canonical keypoint in ``seen`` (or its ``left_``/``right_`` version); never a midpoint."""
    if keypoint.interpolated:
        return False
    return any(p in seen for p in (keypoint.a, f"left_{keypoint.a}", f"right_{keypoint.a}"))


def novel_share(skeleton: NovelSkeleton, seen: frozenset[str] | None = None) -> float:
    """Fraction of ``skeleton``'s keypoints that are not ``seen`` (default: the six sources')."""
    seen = source_points() if seen is None else seen
    return sum(not is_seen(k, seen) for k in skeleton.keypoints) / skeleton.num_keypoints
