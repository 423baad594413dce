"""t-SNE of the keypoint prototype bank (PoseBH Fig. 11) and its cross-dataset nearest neighbours."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from posebh import body_parts, skeletons  # noqa: E402

Label = tuple[str, str]  # (dataset, keypoint name)
PROBES: tuple[Label, ...] = (("coco", "nose"), ("coco", "left_hip"))
DATASET_ORDER: tuple[str, ...] = skeletons.SOURCES + skeletons.TRANSFER
NEIGHBOUR_COLUMNS = ["probe", "dataset", "nearest", "cosine", "second", "cosine_second"]


def prototype_points(bank: np.ndarray, labels: Sequence[Sequence[str]]) -> tuple[np.ndarray, list[Label]]:
    """(J, M, F) bank -> (J*M, F) points, each with its keypoint's (dataset, name) label."""
    bank = np.asarray(bank, dtype=np.float64)
    if bank.ndim != 3 or bank.shape[0] != len(labels):
        raise ValueError(f"bank of shape {bank.shape} does not match {len(labels)} keypoint labels")
    j, m, f = bank.shape
    return bank.reshape(j * m, f), [(str(d), str(k)) for d, k in labels for _ in range(m)]


def combine(banks: Iterable[tuple[np.ndarray, Sequence[Sequence[str]]]]) -> tuple[np.ndarray, list[Label]]:
    """Concatenate several banks (source bank, then transfer banks) into one point set."""
    points, labels = [], []
    for bank, names in banks:
        p, lab = prototype_points(bank, names)
        points.append(p)
        labels += lab
    if not points:
        return np.zeros((0, 0)), []
    return np.concatenate(points), labels


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def embed(points: np.ndarray, seed: int = 0, perplexity: float = 30.0, max_iter: int = 1000) -> np.ndarray:
    """2-D t-SNE (cosine metric, PCA init, fixed seed) of the prototypes."""
    n = len(points)
    if n < 4:
        return np.zeros((n, 2))
    tsne = TSNE(n_components=2, perplexity=min(perplexity, (n - 1) / 3), init="pca",
                random_state=seed, metric="cosine", max_iter=max(max_iter, 250), n_jobs=1)
    with threadpool_limits(1):  # one OpenMP thread: as fast at this size, and no oversubscription
        return tsne.fit_transform(_unit(points).astype(np.float32))


def nearest_neighbours(points: np.ndarray, labels: Sequence[Label],
                       probes: Sequence[Label] = PROBES) -> pd.DataFrame:
    """For each probe keypoint, its two nearest keypoints in every other dataset present.

    Keypoint-to-keypoint similarity = the largest cosine similarity over their prototype pairs
    (as the prototype heatmap of Eq. 1 takes the max over in-class prototypes).
    """
    unit = _unit(np.asarray(points, dtype=np.float64))
    datasets = np.array([d for d, _ in labels])
    names = np.array([k for _, k in labels])
    rows = []
    for probe in probes:
        mask = (datasets == probe[0]) & (names == probe[1])
        if not mask.any():
            continue
        sims = (unit[mask] @ unit.T).max(axis=0)
        for dataset in _ordered(set(datasets) - {probe[0]}):
            in_d = datasets == dataset
            best: dict[str, float] = {}
            for name, s in zip(names[in_d], sims[in_d]):
                best[name] = max(best.get(name, -1.0), float(s))
            top = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:2] + [("", float("nan"))]
            rows.append({"probe": f"{probe[0]} {probe[1]}", "dataset": dataset,
                         "nearest": top[0][0], "cosine": round(top[0][1], 3),
                         "second": top[1][0], "cosine_second": round(top[1][1], 3)})
    return pd.DataFrame(rows, columns=NEIGHBOUR_COLUMNS)


def _ordered(datasets: Iterable[str]) -> list[str]:
    known = [d for d in DATASET_ORDER if d in set(datasets)]
    return known + sorted(set(datasets) - set(known))


def tsne_figure(xy: np.ndarray, labels: Sequence[Label], neighbours: pd.DataFrame) -> plt.Figure:
    """Prototypes in 2-D, colour and marker by dataset; probes and their nearest keypoints labelled."""
    fig, ax = plt.subplots(figsize=(8.5, 6.5))
    datasets = np.array([d for d, _ in labels])
    colours = plt.get_cmap("tab10")
    for i, dataset in enumerate(_ordered(set(datasets))):
        sel = datasets == dataset
        transfer = dataset in skeletons.TRANSFER
        ax.scatter(xy[sel, 0], xy[sel, 1], s=22 if transfer else 10, color=colours(i % 10),
                   marker=DATASET_MARKERS[i % len(DATASET_MARKERS)], alpha=0.75, linewidths=0,
                   label=f"{dataset} ({sel.sum()})")
    _annotate(ax, xy, labels, neighbours)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("t-SNE of the keypoint prototypes (circled: probes and their nearest keypoints)",
                 fontsize=10)
    ax.legend(fontsize=7, markerscale=1.5, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return fig


PART_COLOURS: dict[str, str] = {"head": "tab:red", "face": "tab:pink", "torso": "tab:brown",
                                 "arms": "tab:orange", "hands": "tab:olive", "legs": "tab:blue",
                                 "feet": "tab:cyan", "tail": "tab:purple"}
DATASET_MARKERS: tuple[str, ...] = ("o", "s", "D", "^", "v", "P", "*", "X")


def point_parts(labels: Sequence[Label]) -> list[str]:
    """The body part (``body_parts.body_parts``) of each point's keypoint."""
    return [body_parts.body_parts(d)[skeletons.get(d).index(k)] for d, k in labels]


def unused_keypoints(prototypes: dict) -> np.ndarray | None:
    """(J,) True where a keypoint's prototypes never learned: ``pixels`` == 0 (its foreground
    pixel count, bank order) if the dict carries it, else bank == ``init`` (all M unchanged);
    None when it carries neither."""
    if prototypes.get("pixels") is not None:
        return np.asarray(prototypes["pixels"], dtype=np.int64).reshape(-1) == 0
    if prototypes.get("init") is not None:
        bank, init = (_as_array(prototypes[k]) for k in ("bank", "init"))
        return (bank == init).reshape(bank.shape[0], -1).all(axis=1)  # (J,)
    return None


def unused_points(prototypes: Sequence[dict]) -> np.ndarray | None:
    """(sum J_i * M_i,) per-prototype ``unused_keypoints`` of several banks, in ``combine`` order;
    a bank carrying neither ``pixels`` nor ``init`` counts as used; None if none carries them."""
    masks = [unused_keypoints(p) for p in prototypes]
    if all(m is None for m in masks):
        return None
    out = []
    for m, p in zip(masks, prototypes):
        j, n = _as_array(p["bank"]).shape[:2]
        out.append(np.repeat(np.zeros(j, bool) if m is None else m, n))
    return np.concatenate(out)


def _as_array(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().float().numpy()
    return np.asarray(x, dtype=np.float64)


def part_figure(xy: np.ndarray, labels: Sequence[Label], unused: np.ndarray | None = None,
                neighbours: pd.DataFrame | None = None) -> plt.Figure:
    """Prototypes in 2-D coloured by body part, marker = dataset; unused ones hollow grey.

    unused: (N,) per point (a keypoint's mask repeated over its M prototypes) or None.
    """
    fig, ax = plt.subplots(figsize=(8.5, 6.5))
    parts = np.array(point_parts(labels))
    datasets = np.array([d for d, _ in labels])
    dead = np.zeros(len(labels), bool) if unused is None else np.asarray(unused, bool)
    for i, dataset in enumerate(_ordered(set(datasets))):
        marker = DATASET_MARKERS[i % len(DATASET_MARKERS)]
        for part in body_parts.part_names():
            sel = (datasets == dataset) & (parts == part) & ~dead
            if sel.any():
                ax.scatter(xy[sel, 0], xy[sel, 1], s=14, color=PART_COLOURS[part], marker=marker,
                           alpha=0.8, linewidths=0)
        sel = (datasets == dataset) & dead
        if sel.any():
            ax.scatter(xy[sel, 0], xy[sel, 1], s=16, marker=marker, facecolors="none",
                       edgecolors="grey", linewidths=0.6)
        ax.scatter([], [], marker=marker, color="black", s=14,
                   label=f"{dataset} ({(datasets == dataset).sum()})")
    for part in body_parts.part_names():
        if (parts == part).any():
            ax.scatter([], [], marker="o", color=PART_COLOURS[part], s=14, label=part)
    if dead.any():
        ax.scatter([], [], marker="o", facecolors="none", edgecolors="grey", s=16,
                   label=f"unused ({dead.sum()})")
    for part, (x, y) in part_anchors(xy, parts, dead).items():  # names, not only colours
        ax.annotate(part, (x, y), fontsize=9, fontweight="bold", color="#222222", ha="center",
                    va="center", zorder=5,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": PART_COLOURS[part],
                          "alpha": 0.9, "linewidth": 1.8})
    if neighbours is not None:
        _annotate(ax, xy, labels, neighbours)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("Prototype t-SNE: colour and boxed name = body part, marker = dataset",
                 fontsize=10)
    ax.legend(fontsize=7, markerscale=1.3, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def part_anchors(xy: np.ndarray, parts: np.ndarray, dead: np.ndarray) -> dict[str, tuple[float, float]]:
    """Body part -> the learned point closest to the part's median (where its name is written)."""
    out = {}
    for part in body_parts.part_names():
        sel = (parts == part) & ~dead
        if sel.any():
            pts = xy[sel]
            x, y = pts[np.argmin(((pts - np.median(pts, axis=0)) ** 2).sum(axis=1))]
            out[part] = (float(x), float(y))
    return out


def _annotate(ax: plt.Axes, xy: np.ndarray, labels: Sequence[Label], neighbours: pd.DataFrame) -> None:
    """Circle and name the probes and their nearest keypoints."""
    for text in _highlighted(neighbours):
        d, k = text
        sel = np.array([lab == text for lab in labels])
        if not sel.any():
            continue
        pts = xy[sel]
        cx, cy = pts[np.argmin(((pts - pts.mean(axis=0)) ** 2).sum(axis=1))]  # the medoid-ish point
        ax.scatter(xy[sel, 0], xy[sel, 1], s=30, facecolors="none", edgecolors="black", linewidths=0.7)
        ax.annotate(f"{d}:{k}", (cx, cy), xytext=(4, 4), textcoords="offset points", fontsize=7,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})


def _highlighted(neighbours: pd.DataFrame) -> list[Label]:
    out: list[Label] = []
    for rec in neighbours.itertuples():
        probe = tuple(rec.probe.split(" ", 1))
        for lab in (probe, (rec.dataset, rec.nearest)):
            if lab not in out and lab[1]:
                out.append(lab)  # type: ignore[arg-type]
    return out
