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

from posebh import skeletons  # noqa: E402

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
    """Prototypes in 2-D coloured by dataset; probes and their nearest keypoints labelled."""
    fig, ax = plt.subplots(figsize=(8.5, 6.5))
    datasets = np.array([d for d, _ in labels])
    colours = plt.get_cmap("tab10")
    for i, dataset in enumerate(_ordered(set(datasets))):
        sel = datasets == dataset
        transfer = dataset in skeletons.TRANSFER
        ax.scatter(xy[sel, 0], xy[sel, 1], s=22 if transfer else 10, color=colours(i % 10),
                   marker="^" if transfer else "o", alpha=0.75, linewidths=0,
                   label=f"{dataset} ({sel.sum()})")
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
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("t-SNE of the keypoint prototypes (circled: probes and their nearest keypoints)",
                 fontsize=10)
    ax.legend(fontsize=7, markerscale=1.5, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def _highlighted(neighbours: pd.DataFrame) -> list[Label]:
    out: list[Label] = []
    for rec in neighbours.itertuples():
        probe = tuple(rec.probe.split(" ", 1))
        for lab in (probe, (rec.dataset, rec.nearest)):
            if lab not in out and lab[1]:
                out.append(lab)  # type: ignore[arg-type]
    return out
