"""Qualitative overlays (PoseBH Figs. 4, 7, 8 analogues): the ground truth and each model's
predicted skeletons side by side."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from posebh import skeletons  # noqa: E402
from posebh.evaluation.instances import gt_keypoints

MODEL_COLOURS: tuple[str, ...] = ("#e8710a", "#1a73e8", "#a142f4", "#c5221f")
GT_COLOUR = "#188038"
GT = "ground truth"


def pick_images(coco: dict, n: int) -> list[dict]:
    """The first ``n`` validation images by id (deterministic, identical for every model)."""
    return sorted(coco.get("images", []), key=lambda im: im["id"])[:n]


def image_path(coco: dict, image: dict) -> Path:
    return Path(coco.get("info", {}).get("image_root", ".")) / image["file_name"]


def gt_results(coco: dict, image_id: int, dataset: str) -> list[dict]:
    """The image's GT annotations as results: labelled keypoints (visibility > 0) score 1, others 0."""
    out = []
    for ann in coco.get("annotations", []):
        if ann.get("image_id") != image_id:
            continue
        kp = gt_keypoints(ann, dataset).copy()  # (K, 3)
        kp[:, 2] = (kp[:, 2] > 0).astype(float)
        out.append({"image_id": image_id, "keypoints": kp.reshape(-1).tolist(), "score": 1.0})
    return out


def _load(path: Path) -> np.ndarray | None:
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except OSError:
        return None


def _draw(ax: plt.Axes, pixels: np.ndarray | None, results: list[dict], edges: tuple,
          colour: str, min_score: float) -> None:
    if pixels is None:
        ax.set_facecolor("#dddddd")
        ax.text(0.5, 0.5, "image not found", ha="center", va="center", transform=ax.transAxes, fontsize=8)
    else:
        ax.imshow(pixels)
    for res in results:
        kp = np.asarray(res["keypoints"], dtype=float).reshape(-1, 3)
        for a, b in edges:
            if a < len(kp) and b < len(kp) and min(kp[a, 2], kp[b, 2]) >= min_score:
                ax.plot(kp[[a, b], 0], kp[[a, b], 1], color=colour, linewidth=1.2, alpha=0.9)
        shown = kp[kp[:, 2] >= min_score]
        ax.scatter(shown[:, 0], shown[:, 1], s=5, color="white", edgecolors=colour, linewidths=0.6,
                   zorder=3)


def overlay_figure(dataset: str, coco: dict, predictions: dict[str, list[dict] | None],
                   n_images: int = 2, min_score: float = 0.3) -> plt.Figure:
    """Rows: the first ``n_images`` val images; columns: the ground truth (``coco``'s labelled
    keypoints), then one per model (``None`` = not run).

    ``predictions`` maps model name -> COCO-format results
    ``[{image_id, category_id, keypoints (flat K*3), score}]`` for ``dataset``.
    """
    images = pick_images(coco, n_images)
    models = [GT, *predictions]
    edges = skeletons.get(dataset).edges
    fig, axes = plt.subplots(max(len(images), 1), max(len(models), 1), squeeze=False,
                             figsize=(1.95 * max(len(models), 1), 1.95 * max(len(images), 1) + 0.3))
    for r, image in enumerate(images):
        pixels = _load(image_path(coco, image))
        for c, model in enumerate(models):
            ax = axes[r][c]
            results = gt_results(coco, image["id"], dataset) if model == GT else predictions[model]
            if results is None:
                ax.text(0.5, 0.5, "not run", ha="center", va="center", transform=ax.transAxes)
            elif model == GT:
                _draw(ax, pixels, results, edges, GT_COLOUR, 0.5)
            else:
                mine = [p for p in results if p.get("image_id") == image["id"]]
                _draw(ax, pixels, mine, edges, MODEL_COLOURS[(c - 1) % len(MODEL_COLOURS)], min_score)
            if r == 0:
                ax.set_title(model, fontsize=9)
            if c == 0:
                ax.set_ylabel(f"image {image['id']}", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    if not images:
        axes[0][0].text(0.5, 0.5, "no validation images", ha="center", va="center",
                        transform=axes[0][0].transAxes)
    fig.suptitle(dataset, fontsize=10)
    fig.tight_layout()
    return fig
