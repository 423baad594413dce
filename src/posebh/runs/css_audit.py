"""CSS pseudo-label audit: how right are the joints cross-type self-supervision would keep?

For a PoseBH model, on the val images of source s and each head d != s of the same domain, the
CSS filter and Eq. 7 run exactly as in training (``method.css.reliable_joints`` on head d's
heatmaps and d's prototype heatmaps, the backbone on s's expert, the model's ``css_conf_thr`` and
``css_dist_thr``); the fused joints are mapped to image pixels and compared with the hidden truth
of skeleton d on those images (``posebh.data.hidden``).

Candidates are the (instance, joint) pairs whose head peak passes ``css_conf_thr`` (those CSS
looks at, as ``global_css.reliable_pairs``); errors are over the kept joints the truth labels.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch.utils.data import DataLoader

from posebh import skeletons
from posebh.data.dataset import instance_keypoints
from posebh.data.mixed import MixedDataset, collate
from posebh.data.topdown import get_affine_matrix
from posebh.evaluation.decode import to_image_coords
from posebh.method.css import peaks, reliable_joints
from posebh.method.posebh_model import PoseBHModel
from posebh.runs.config import EvalConfig, SampleConfig
from posebh.runs.inputs import make_dataset
from posebh.training.trainer import select_device
from posebh.zoo.checkpoint import from_checkpoint

NOTE = ("The CSS audit runs on un-augmented val crops (GT boxes, no flip test); training applied "
        "CSS to augmented train crops, so its pseudo-labels there are likely somewhat worse.")


def prototype_bank(net: PoseBHModel, prototypes: Mapping, model: str) -> torch.Tensor:
    """The (J, M, F) bank of a ``<variant>_prototypes.pt`` dict, checked against the model."""
    labels = [tuple(x) for x in prototypes.get("labels", [])]
    if labels != net.keypoint_labels() or "bank" not in prototypes:
        raise ValueError(f"{model}: its prototypes file does not hold the model's "
                         f"{len(net.keypoint_labels())} keypoint rows")
    bank = torch.as_tensor(prototypes["bank"], dtype=torch.float32)
    if tuple(bank.shape) != tuple(net.bank.shape):
        raise ValueError(f"{model}: prototype bank {tuple(bank.shape)}, model {tuple(net.bank.shape)}")
    return bank


@torch.no_grad()
def _pairs(net: PoseBHModel, ds: torch.utils.data.Dataset, gt: dict, head: str,
           bank: torch.Tensor, device: torch.device, batch_size: int) -> dict[str, np.ndarray]:
    """Per (instance, joint): head conf, kept, fused / truth xy in heatmap and image px, labelled."""
    sk, c = skeletons.get(head), net.method
    off, k = net.offsets[head], sk.num_keypoints
    anns = {a["id"]: a for a in gt["annotations"]}
    out: dict[str, list[np.ndarray]] = {n: [] for n in
                                        ("conf", "keep", "hm", "gt_hm", "img", "gt_img", "vis")}
    loader = DataLoader(MixedDataset([ds]), batch_size=batch_size, shuffle=False, num_workers=0,
                        collate_fn=collate)
    for batch in loader:
        images, didx = batch["image"].to(device), batch["dataset_idx"].to(device)
        feats = net.backbone(images, didx)  # source s's expert, as in training
        hm = net.heads[head](feats).float()  # (B, K, h, w)
        proto = net.bank.heatmaps(net.embed(feats), slice(off, off + k), bank.to(device))
        keep, fused, _ = reliable_joints(hm, proto, c.css_conf_thr, c.css_dist_thr)
        h, w = hm.shape[-2:]
        center, scale = batch["center"].numpy(), batch["scale"].numpy()
        fused = fused.cpu().numpy()
        truth = np.array([instance_keypoints(anns[int(i)], head) for i in batch["ann_id"]],
                         dtype=np.float64).reshape(-1, k, 3)  # (B, K, 3) image px
        gt_hm = np.stack([truth[b, :, :2] @ m[:, :2].T + m[:, 2] for b, m in enumerate(
            get_affine_matrix(center[b], scale[b], 0.0, (w, h), sk.udp) for b in range(len(truth)))])
        out["conf"].append(peaks(hm)[2].cpu().numpy())
        out["keep"].append(keep.cpu().numpy())
        out["hm"].append(fused)
        out["gt_hm"].append(gt_hm)
        out["img"].append(to_image_coords(fused, center, scale, (w, h), udp=sk.udp))
        out["gt_img"].append(truth[..., :2])
        out["vis"].append(truth[..., 2] > 0)
    return {n: np.concatenate(v) for n, v in out.items()}


def summarise(p: Mapping[str, np.ndarray], conf_thr: float, dist_thr: float) -> dict:
    """Counts and errors of one (head, source) cell from ``_pairs``' arrays."""
    cand = p["conf"] > conf_thr
    kept = p["keep"] & cand
    scored = kept & p["vis"]
    err_img = np.linalg.norm(p["img"] - p["gt_img"], axis=-1)[scored]
    err_hm = np.linalg.norm(p["hm"] - p["gt_hm"], axis=-1)[scored]
    n_cand, n_kept = int(cand.sum()), int(kept.sum())
    return {"pairs": int(cand.size), "candidates": n_cand, "kept": n_kept,
            "share_kept": n_kept / n_cand if n_cand else None, "scored": int(scored.sum()),
            "median_err_px": float(np.median(err_img)) if err_img.size else None,
            "median_err_hm_px": float(np.median(err_hm)) if err_hm.size else None,
            "share_within_d_thr": float((err_hm < dist_thr).mean()) if err_hm.size else None}


def css_audit_rows(model: str, checkpoint: dict, prototypes: Mapping,
                   hidden: Mapping[str, Mapping[str, dict]], sample: SampleConfig,
                   evaluation: EvalConfig) -> list[dict]:
    """Rows {model, head, source, pairs, candidates, kept, share_kept, scored, median_err_px,
    median_err_hm_px, share_within_d_thr, conf_thr, d_thr} for every head d != source s."""
    net = from_checkpoint(checkpoint)
    if not isinstance(net, PoseBHModel):
        raise TypeError(f"{model}: not a PoseBH checkpoint (no prototype modules to audit)")
    bank = prototype_bank(net, prototypes, model)
    device = select_device(evaluation.device)
    net.eval().to(device)
    c = net.method
    rows = []
    for s_idx, source in enumerate(net.cfg.datasets):
        for head in net.cfg.datasets:
            if head == source or head not in hidden.get(source, {}):
                continue
            gt = hidden[source][head]
            ds = make_dataset(gt, head, s_idx, net.cfg, sample, train=False)
            p = _pairs(net, ds, gt, head, bank, device, evaluation.batch_size)
            rows.append({"model": model, "head": head, "source": source,
                         **summarise(p, c.css_conf_thr, c.css_dist_thr),
                         "conf_thr": c.css_conf_thr, "d_thr": c.css_dist_thr})
    return rows
