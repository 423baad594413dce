"""Top-down inference: crop with the given boxes, run one head, flip test, decode to image coordinates."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from posebh import skeletons
from posebh.data.mixed import MixedDataset, collate
from posebh.evaluation.decode import decode, flip_back, to_image_coords
from posebh.evaluation.topdown_protocol import rescore, topdown_results


def detections_to_coco(gt: dict, detections: list[dict], det_thr: float = 0.0,
                       category_id: int = 1, num_keypoints: int = 17) -> dict:
    """``gt`` with its annotations replaced by detector boxes (COCO detection results format).

    Each box keeps its ``score``; its ``num_keypoints`` keypoints (17: COCO, and the body part
    of COCO-WholeBody) are unlabelled. Feed the result to a TopDownDataset
    (``train=False``) and ``predict(..., nms=True)`` for the detector-box protocol (COCO val uses
    ``COCO_val2017_detections_AP_H_56_person.json``).
    """
    images = {img["id"] for img in gt["images"]}
    anns = []
    for i, det in enumerate(detections):
        if det.get("category_id", category_id) != category_id or det["score"] < det_thr:
            continue
        if det["image_id"] not in images:
            raise ValueError(f"detection {i}: image_id {det['image_id']} is not in the GT")
        anns.append({"id": len(anns) + 1, "image_id": det["image_id"], "category_id": category_id,
                     "bbox": list(det["bbox"]), "score": float(det["score"]), "iscrowd": 0,
                     "keypoints": [0.0] * (3 * num_keypoints), "num_keypoints": 0})
    return {**gt, "annotations": anns}


@torch.no_grad()
def predict(
    model: torch.nn.Module,
    dataset: torch.utils.data.Dataset,
    head: str,
    device: torch.device,
    flip_test: bool = True,
    dark: bool | None = None,
    batch_size: int = 64,
    vis_thr: float = 0.2,
    nms: bool = False,
    oks_thr: float = 0.9,
) -> list[dict]:
    """COCO-format results of ``model``'s ``head`` on ``dataset`` (eval mode).

    score = box score x mean of the keypoint confidences above ``vis_thr`` (ViTPose rescoring).
    ``nms=False`` (GT boxes): one result per box, carrying its ``ann_id``. ``nms=True`` (detector
    boxes): per-image OKS-NMS at ``oks_thr`` with the dataset's sigmas, as ViTPose evaluates.
    Non-UDP heads get the one-pixel shift of the flipped heatmap (``shift_heatmap=True``).
    ``dark=None`` decodes as the released configs (DARK-UDP for UDP heads, +-0.25 px otherwise).
    """
    sk = skeletons.get(head)
    head_idx = list(model.heads).index(head)
    model.eval().to(device)
    flip_index = sk.flip_index()
    results: list[dict] = []
    loader = DataLoader(MixedDataset([dataset]), batch_size=batch_size, shuffle=False,
                        num_workers=0, collate_fn=collate)  # batched crops, as in training
    for batch in tqdm(loader, desc=f"predict {head}", leave=False, disable=None, mininterval=2.0):
        images = batch["image"].to(device)
        idx = torch.full((images.shape[0],), head_idx, dtype=torch.long, device=device)
        heatmaps = model(images, idx, only=head)[head].float()  # (B, K, h, w)
        if flip_test:
            flipped = model(images.flip(3), idx, only=head)[head].float()
            flipped = flip_back(flipped.cpu().numpy(), flip_index, shift=not sk.udp)
            heatmaps = (heatmaps.cpu().numpy() + flipped) * 0.5
        else:
            heatmaps = heatmaps.cpu().numpy()
        coords, maxvals = decode(heatmaps, udp=sk.udp, dark=dark)
        h, w = heatmaps.shape[-2:]
        pts = to_image_coords(coords, batch["center"].numpy(), batch["scale"].numpy(), (w, h),
                              udp=sk.udp)
        scale = batch["scale"].numpy()
        for i in range(images.shape[0]):
            kpts = np.concatenate([pts[i], maxvals[i][:, None]], axis=1)  # (K, 3)
            results.append(
                {
                    "image_id": int(batch["image_id"][i]),
                    "category_id": int(batch["category_id"][i]),
                    "keypoints": [round(float(v), 3) for v in kpts.reshape(-1)],
                    "score": float(batch["bbox_score"][i]),
                    "area": float(scale[i, 0] * scale[i, 1]),
                    "ann_id": int(batch["ann_id"][i]),
                }
            )
    if nms:
        return topdown_results(results, sk.sigmas, vis_thr=vis_thr, oks_thr=oks_thr)
    return [{k: v for k, v in r.items() if k != "area"} for r in rescore(results, vis_thr)]
