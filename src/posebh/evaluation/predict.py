"""Top-down inference: crop with the given boxes, run one head, flip test, decode to image coordinates."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader

from posebh import skeletons
from posebh.evaluation.decode import decode, flip_back, to_image_coords


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
) -> list[dict]:
    """COCO-format results (one per instance) of ``model``'s ``head`` on ``dataset`` (eval mode).

    score = box score x mean of the keypoint confidences above ``vis_thr`` (ViTPose rescoring).
    Non-UDP heads get the one-pixel shift of the flipped heatmap (``shift_heatmap=True``).
    ``dark=None`` decodes as the released configs (DARK-UDP for UDP heads, +-0.25 px otherwise).
    """
    sk = skeletons.get(head)
    head_idx = list(model.heads).index(head)
    model.eval().to(device)
    flip_index = sk.flip_index()
    results: list[dict] = []
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)
    for batch in loader:
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
        for i in range(images.shape[0]):
            conf = maxvals[i]
            mask = conf > vis_thr
            kpt_score = float(conf[mask].mean()) if mask.any() else 0.0
            kpts = np.concatenate([pts[i], conf[:, None]], axis=1)  # (K, 3)
            results.append(
                {
                    "image_id": int(batch["image_id"][i]),
                    "category_id": int(batch["category_id"][i]),
                    "keypoints": [round(float(v), 3) for v in kpts.reshape(-1)],
                    "score": float(batch["bbox_score"][i]) * kpt_score,
                    "ann_id": int(batch["ann_id"][i]),
                }
            )
    return results
