"""Why a column sits at the floor: each dataset's AP beside its PCK and the AP of its own targets.

"Targets" decodes the training targets themselves (GT -> the Gaussian heatmap the heads are
trained on -> the evaluation's decoder -> image coordinates -> the dataset's protocol): what a
model that reproduced its targets exactly would score, i.e. what the target encoding loses at
this heatmap size (a model can beat it only by not reproducing them, e.g. flip-averaged peaks). AIC is also scored with COCO's
(MPII's for head top / neck) OKS sigmas by keypoint name, which separates localisation from the
protocol: AIC's published sigmas are 3.5x smaller than COCO's on average.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from posebh import body_parts, skeletons
from posebh.data.dataset import TopDownDataset
from posebh.data.targets import generate_target
from posebh.evaluation.dataset_metrics import evaluate_dataset
from posebh.evaluation.decode import decode, to_image_coords
from posebh.evaluation.oks import evaluate_oks
from posebh.reporting import html
from posebh.reporting.sections import Section

FLOOR_AP = 10.0  # a column below this many AP points says little
WHOLEBODY_PARTS = ("body", "foot", "face", "lefthand", "righthand", "wholebody")


def target_results(gt: dict, dataset: str, input_size: tuple[int, int], heatmap_size: tuple[int, int],
                   sigma: float, dark: bool = True) -> list[dict]:
    """COCO results of the targets: every GT box's own training target, decoded (as a model's output).

    input_size / heatmap_size are (W, H); images are never read (only the crop geometry).
    """
    ds = TopDownDataset(gt, ".", dataset, 0, input_size=input_size, heatmap_size=heatmap_size,
                        sigma=sigma, train=False)
    if len(ds) == 0:
        return []
    geo = [ds.geometry(i) for i in range(len(ds))]
    targets = np.stack([generate_target(g.joints, g.visible, input_size, heatmap_size, sigma=sigma,
                                        udp=ds.udp, drop_outside=True)[0] for g in geo])  # (N, K, h, w)
    coords, maxvals = decode(targets, udp=ds.udp, dark=dark)
    pts = to_image_coords(coords, np.array([g.center for g in geo]), np.array([g.scale for g in geo]),
                          heatmap_size, udp=ds.udp)  # (N, K, 2)
    out = []
    for s, p, v in zip(ds.samples, pts, maxvals):
        kpts = np.concatenate([p, np.maximum(v, 1e-3)[:, None]], axis=1)  # (K, 3)
        out.append({"image_id": s["image_id"], "category_id": s["category_id"], "ann_id": s["ann_id"],
                    "keypoints": [float(x) for x in kpts.reshape(-1)], "score": 1.0})
    return out


def headline_ap(metrics: dict, dataset: str) -> float:
    """AP in points (MPII: PCKh in %) of one dataset's metrics dict; WholeBody = its 133-point AP."""
    if dataset == "coco_wholebody":
        return 100.0 * float(metrics["wholebody"]["AP"])
    if skeletons.get(dataset).metric == "pckh":
        return float(metrics["PCKh"])
    return 100.0 * float(metrics["AP"])


def coco_equivalent_sigmas(dataset: str) -> np.ndarray:
    """COCO's OKS sigma of each keypoint by name (MPII's head_top / upper_neck for the rest)."""
    table = dict(zip(skeletons.get("coco").keypoints, skeletons.get("coco").sigmas or ()))
    mpii = dict(zip(skeletons.get("mpii").keypoints, skeletons.get("mpii").sigmas or ()))
    table |= {"head_top": mpii["head_top"], "neck": mpii["upper_neck"], "upper_neck": mpii["upper_neck"]}
    return np.array([table[k] for k in skeletons.get(dataset).keypoints])


def floor_table(val_sets: dict[str, dict], metrics: dict[str, dict], predictions: dict[str, list],
                input_size: tuple[int, int], sigma: float) -> pd.DataFrame:
    """One row per source dataset: the model's AP and PCK@0.2, the targets' AP at the heatmap
    (input / 4) and at twice it, and (AIC) the AP with COCO-equivalent sigmas."""
    w, h = input_size
    rows = []
    for dataset in skeletons.SOURCES:
        if not val_sets.get(dataset, {}).get("annotations") or dataset not in metrics:
            continue  # no validation boxes (the catalog feeds {"images": []} for a missing set)
        gt, m = val_sets[dataset], metrics[dataset]
        row = {"dataset": dataset, "metric": "PCKh" if skeletons.get(dataset).metric == "pckh" else "AP",
               "model": headline_ap(m, dataset), "PCK@0.2": 100.0 * float(m.get("PCK@0.2", np.nan))}
        for k, name in ((4, f"targets {w // 4}x{h // 4}"), (2, f"targets {w // 2}x{h // 2}")):
            res = target_results(gt, dataset, input_size, (w // k, h // k), sigma)
            row[name] = headline_ap(evaluate_dataset(gt, res, dataset, engine="xtcocotools"), dataset)
        row["AP, COCO sigmas"] = np.nan
        if dataset == "aic" and predictions.get(dataset):
            ap = evaluate_oks(gt, predictions[dataset], dataset, engine="xtcocotools",
                              sigmas=coco_equivalent_sigmas(dataset))["AP"]
            row["AP, COCO sigmas"] = 100.0 * ap
        rows.append(row)
    return pd.DataFrame(rows)


def wholebody_parts(gt: dict, metrics: dict, input_size: tuple[int, int], sigma: float) -> pd.DataFrame:
    """WholeBody AP per part: the model and its targets decoded at the heatmap (input / 4)."""
    w, h = input_size
    res = target_results(gt, "coco_wholebody", input_size, (w // 4, h // 4), sigma)
    ceiling = evaluate_dataset(gt, res, "coco_wholebody", engine="xtcocotools")
    return pd.DataFrame([{"part": p, "model AP": 100.0 * metrics[p]["AP"],
                          f"targets {w // 4}x{h // 4}": 100.0 * ceiling[p]["AP"]}
                         for p in WHOLEBODY_PARTS if p in metrics])


def section(inputs) -> Section | None:
    """The floor-datasets evidence section (None without validation boxes or metrics)."""
    variant = inputs.ablation.headline
    metrics = inputs.metrics.get(variant)
    if not metrics or not inputs.val_sets:
        return None
    ih, iw = (inputs.params.get("model") or {}).get("img_size", (128, 96))
    sigma = float((inputs.params.get("data") or {}).get("sigma", 2.0))
    table = floor_table(inputs.val_sets, metrics, inputs.predictions.get(variant, {}), (iw, ih), sigma)
    if table.empty:
        return None
    tables = {"floor_datasets": table}
    blocks = [html.table_html(table, precision=1, index=False, caption="Model AP and PCK@0.2 "
                              "beside the AP of the training targets themselves, per dataset.")]
    if "coco_wholebody" in set(table["dataset"]):
        parts = wholebody_parts(inputs.val_sets["coco_wholebody"], metrics["coco_wholebody"], (iw, ih),
                                sigma)
        tables["floor_wholebody_parts"] = parts
        blocks.append(html.table_html(parts, precision=1, index=False, caption="COCO-WholeBody "
                                      "AP per body part (model and targets)."))
    low = table[(table["metric"] == "AP") & (table["model"] < FLOOR_AP)]["dataset"].tolist()
    aic, face = np.mean(skeletons.get("aic").sigmas), np.array(skeletons.get("coco_wholebody").sigmas)[
        [i for i, p in enumerate(body_parts.body_parts("coco_wholebody")) if p == "face"]]
    notes = (
        (f"Model = the {variant} variant. Targets = the AP of every validation box's own training "
         f"target (σ {sigma:g}, MSRA or UDP as the dataset) decoded as the evaluation decodes: what a "
         f"model that reproduced its targets exactly would score at that heatmap size (twice the "
         f"heatmap for comparison; a model exceeds it only by not reproducing its targets, as "
         f"flip-averaged face peaks can). PCK@0.2 (of the box's longer side) stays high where AP is "
         f"at the floor: the keypoints are found, but not within the protocol's OKS tolerance."),
        (f"Below {FLOOR_AP:g} AP here: {', '.join(low) or 'none'}. AIC's published OKS sigmas average "
         f"{aic:.3f} against {coco_equivalent_sigmas('aic').mean():.3f} for the same joints in COCO "
         f"(MPII for head top / neck), so the same pixel error costs AIC far more OKS; 'AP, COCO "
         f"sigmas' rescores AIC's predictions with those. WholeBody's 133-point AP is dominated by "
         f"its {len(face)} face points (sigmas {face.min():.3f}–{face.max():.3f}): at this heatmap "
         f"size they sit a few pixels apart and the MSRA target rounds each to an integer pixel."),
    )
    return Section(anchor="floor-datasets", title="Floor datasets: why AIC and WholeBody AP are low",
                   how="compare the model's AP with the targets' AP on the same row: a model "
                       "close to its targets' AP is at the floor this heatmap size allows.",
                   notes=notes, blocks=tuple(blocks), tables=tables)
