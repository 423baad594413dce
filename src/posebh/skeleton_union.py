"""Union skeleton of several datasets: semantic names, overlap/unique sets, dataset <-> union maps.

A keypoint's *semantic name* is its ``skeletons.json`` name unless ``skeleton_union.json`` (beside
this file) aliases it; keypoints of one domain with one semantic name are one union point (the
unified skeleton K = U K_i of the unified-skeleton multi-teacher KD paper, Eqs. 1-5). Derived
points (thorax = mid-shoulders, ...) let a dataset *compute* a union point it lacks; they never
merge points. Union points are numbered in first-seen order (datasets in the given order, each in
its keypoint order).

Golden numbers (tests/test_skeleton_union.py):

* COCO + MPII: overlap 12 = left/right shoulder, elbow, wrist, hip, knee, ankle, which both
  mmpose tables spell identically, so no alias is involved; COCO-unique 5 = nose, left/right eye,
  left/right ear; MPII-unique 4 = pelvis, thorax, upper_neck, head_top; union 12 + 5 + 4 = 21
  (the paper's |K_student| = 21; its introduction swaps the 5 and the 4, abstract and Fig. 2 do
  not). Thorax stays MPII-unique although COCO can derive it, as the paper counts it.
* The six PoseBH sources, names not merged (``merge=False``): 17 + 14 + 16 + 17 + 17 + 133 = 214
  points, the rows of the prototype bank (J) in ``skeletons.global_offsets`` order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from posebh import skeletons
from posebh.data.errors import DataError

_TABLE = Path(__file__).with_name("skeleton_union.json")


@dataclass(frozen=True)
class UnionTable:
    """The facts of ``skeleton_union.json``: aliases and derived points."""

    aliases: dict[str, dict[str, str]]  # dataset -> {keypoint: semantic name}
    derived: dict[str, tuple[str, ...]]  # union point -> semantic names it is the mean of

    def semantic_names(self, dataset: str) -> tuple[str, ...]:
        """``dataset``'s keypoints under their semantic names, in keypoint order."""
        alias = self.aliases.get(dataset, {})
        return tuple(alias.get(k, k) for k in skeletons.get(dataset).keypoints)


def _native_names(domain: str) -> set[str]:
    """Every keypoint name of ``domain`` in skeletons.json: the vocabulary an alias may target."""
    return {k for sk in skeletons.load_skeletons().values() if sk.domain == domain
            for k in sk.keypoints}


@cache
def load_table(path: Path = _TABLE) -> UnionTable:
    """Read and check ``path``; a one-line DataError naming the file and the unknown name."""
    try:
        raw = json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise DataError(path, f"not valid JSON ({e})") from None
    known = skeletons.load_skeletons()
    aliases: dict[str, dict[str, str]] = {}
    for dataset, entries in raw.get("aliases", {}).items():
        if dataset not in known:
            raise DataError(path, f"aliases: unknown dataset {dataset!r}")
        sk = known[dataset]
        vocab = _native_names(sk.domain)
        aliases[dataset] = {}
        for key, entry in entries.items():
            target = entry.get("as") if isinstance(entry, dict) else None
            if key not in sk.keypoints:
                raise DataError(path, f"aliases.{dataset}: {key!r} is not a {dataset} keypoint")
            if target not in vocab:
                raise DataError(path, f"aliases.{dataset}.{key}: unknown alias {target!r} "
                                      f"(no {sk.domain} dataset has a keypoint of that name)")
            aliases[dataset][key] = target
        semantic = [aliases[dataset].get(k, k) for k in sk.keypoints]
        if len(set(semantic)) != len(semantic):
            raise DataError(path, f"aliases.{dataset}: two {dataset} keypoints get one name")
    vocab = {k for sk in known.values() for k in sk.keypoints}
    derived: dict[str, tuple[str, ...]] = {}
    for name, entry in raw.get("derived", {}).items():
        sources = entry.get("mean_of") if isinstance(entry, dict) else None
        if not isinstance(sources, list) or len(sources) < 2:
            raise DataError(path, f"derived.{name}: 'mean_of' needs a list of two or more names")
        for n in (name, *sources):
            if n not in vocab:
                raise DataError(path, f"derived.{name}: unknown keypoint name {n!r}")
        derived[name] = tuple(sources)
    return UnionTable(aliases, derived)


@dataclass(frozen=True)
class UnionSkeleton:
    """The union of ``datasets``' keypoints and each dataset's place in it."""

    datasets: tuple[str, ...]
    names: tuple[str, ...]  # (U,) union point names, first-seen order
    index: dict[str, tuple[int, ...]]  # dataset -> (K_d,) union index of each of its keypoints
    derived: dict[str, tuple[str, ...]]  # union point -> union points it is the mean of

    @property
    def num_keypoints(self) -> int:
        return len(self.names)

    def position(self, name: str) -> int:
        """Union index of one point; a clear error for an unknown name."""
        if name not in self.names:
            raise KeyError(f"unknown union keypoint {name!r} (union of {', '.join(self.datasets)})")
        return self.names.index(name)

    def members(self, dataset: str) -> tuple[str, ...]:
        """Union names of ``dataset``'s keypoints, in its keypoint order."""
        return tuple(self.names[i] for i in self._index(dataset))

    def overlap(self, *datasets: str) -> tuple[str, ...]:
        """Union points every one of ``datasets`` (default: all) annotates, in union order."""
        sets = [set(self._index(d)) for d in (datasets or self.datasets)]
        return tuple(self.names[i] for i in sorted(set.intersection(*sets)))

    def unique(self, dataset: str) -> tuple[str, ...]:
        """Union points only ``dataset`` annotates among the union's datasets, in union order."""
        others = {i for d in self.datasets if d != dataset for i in self._index(d)}
        return tuple(self.names[i] for i in sorted(set(self._index(dataset)) - others))

    def mask(self, dataset: str) -> np.ndarray:
        """(U,) bool: the union points ``dataset`` annotates."""
        out = np.zeros(self.num_keypoints, dtype=bool)
        out[list(self._index(dataset))] = True
        return out

    def to_union(self, dataset: str, values: np.ndarray, fill: float = np.nan) -> np.ndarray:
        """(K_d, ...) per-keypoint values of ``dataset`` -> (U, ...), ``fill`` where it has none."""
        values = np.asarray(values)
        idx = self._index(dataset)
        if values.shape[0] != len(idx):
            raise ValueError(f"{dataset}: expected {len(idx)} keypoint rows, got {values.shape[0]}")
        out = np.full((self.num_keypoints, *values.shape[1:]), fill,
                      dtype=np.result_type(values.dtype, np.min_scalar_type(fill)))
        out[list(idx)] = values
        return out

    def from_union(self, dataset: str, values: np.ndarray) -> np.ndarray:
        """(U, ...) union values -> (K_d, ...) ``dataset``'s keypoints, in its keypoint order."""
        return np.asarray(values)[list(self._index(dataset))]

    def derivable(self, dataset: str) -> dict[str, tuple[int, ...]]:
        """Union points ``dataset`` lacks but can derive: name -> its keypoint indices to average."""
        own = dict(zip(self.members(dataset), range(len(self._index(dataset)))))
        return {name: tuple(own[s] for s in sources) for name, sources in self.derived.items()
                if name in self.names and name not in own and all(s in own for s in sources)}

    def with_derived(self, dataset: str, xy: np.ndarray) -> np.ndarray:
        """(K_d, 2) ``dataset`` coordinates -> (U, 2) union coordinates, derived points filled
        as the mean of their sources, NaN where neither annotated nor derivable."""
        out = self.to_union(dataset, np.asarray(xy, dtype=np.float64))
        for name, rows in self.derivable(dataset).items():
            out[self.position(name)] = np.asarray(xy, dtype=np.float64)[list(rows)].mean(0)
        return out

    def _index(self, dataset: str) -> tuple[int, ...]:
        if dataset not in self.index:
            raise KeyError(f"dataset {dataset!r} is not in the union of {', '.join(self.datasets)}")
        return self.index[dataset]


def build_union(datasets: tuple[str, ...], merge: bool = True,
                table: UnionTable | None = None) -> UnionSkeleton:
    """The union skeleton of ``datasets``.

    ``merge=True``: keypoints of one domain sharing a semantic name are one point; two domains
    never share one (a clash is an error). ``merge=False``: every keypoint is its own point,
    named ``dataset/keypoint`` (the per-dataset label space of PoseBH, J = 214 for the six sources).
    """
    table = load_table() if table is None else table
    names: list[str] = []
    where: dict[str, int] = {}
    domain_of: dict[str, str] = {}
    index: dict[str, tuple[int, ...]] = {}
    for d in datasets:
        sk = skeletons.get(d)
        keys = table.semantic_names(d) if merge else tuple(f"{d}/{k}" for k in sk.keypoints)
        for key in keys:
            if key in domain_of and domain_of[key] != sk.domain:
                raise ValueError(f"{_TABLE.name}: {key!r} is a keypoint name in two domains "
                                 f"({domain_of[key]}, {sk.domain}); alias one of them")
            if key not in where:
                where[key], domain_of[key] = len(names), sk.domain
                names.append(key)
        index[d] = tuple(where[k] for k in keys)
    derived = table.derived if merge else {}
    return UnionSkeleton(tuple(datasets), tuple(names), index, dict(derived))
