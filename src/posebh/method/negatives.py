"""Cross-dataset negatives (PoseBH §3.2, last paragraph): K-means over all prototypes, run once.

K-means (scikit-learn, seed 0) on the J*M unit prototypes gives K centroids. Cluster k's bank
holds the M prototypes nearest its centroid (the paper's intent; the released code's top-M
selection indexes the wrong axis, design note §1.5). Every keypoint belongs to the cluster
holding most of its M prototypes. A foreground pixel of keypoint j is then contrasted against
all K*M cluster prototypes with j's cluster as the positive (Eq. 5-6), which pushes it away
from similar keypoints of *other* datasets.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.cluster import KMeans

from posebh.method.prototype_learning import PixelSamples, confidence, ppc_ppd, similarity


def cluster_prototypes(prototypes: torch.Tensor, num_clusters: int, seed: int = 0
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """prototypes (J, M, F) -> (cluster bank (K, M, F), keypoint -> cluster (J,) long)."""
    j, m, f = prototypes.shape
    flat = prototypes.reshape(-1, f).double().cpu().numpy()  # (J*M, F)
    k = min(num_clusters, j * m)
    km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(flat)
    centroids = km.cluster_centers_ / np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True)
    nearest = np.argsort(-(centroids @ flat.T), axis=1, kind="stable")[:, :m]  # (K, M)
    bank = torch.from_numpy(flat[nearest]).to(prototypes.dtype)  # (K, M, F)
    labels = km.labels_.reshape(j, m)
    owner = np.empty(j, dtype=np.int64)
    for kp in range(j):
        counts = np.bincount(labels[kp], minlength=k)
        tied = np.flatnonzero(counts == counts.max())
        mean = flat.reshape(j, m, f)[kp].mean(axis=0)
        owner[kp] = tied[np.argmax(centroids[tied] @ mean)]
    return torch.nn.functional.normalize(bank, dim=-1), torch.from_numpy(owner)


def negatives_loss(clusters: torch.Tensor, owner: torch.Tensor, pixels: PixelSamples, offset: int,
                   mode: str = "cos", normalisation: str = "paper"
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """PPC/PPD of pixels against the cluster bank (K, M, F); positive = the keypoint's cluster.
    Means over the pixels; ``released``: unweighted by the GT confidence."""
    zero = pixels.emb.sum() * 0.0
    if pixels.emb.shape[0] == 0:
        return zero, zero
    k, m, _ = clusters.shape
    logits = similarity(pixels.emb, clusters, mode)  # (N, K * M)
    cluster = owner[offset + pixels.cls]  # (N,)
    member = logits.detach().view(-1, k, m)[torch.arange(len(cluster)), cluster].argmax(dim=1)
    return ppc_ppd(logits, cluster * m + member, confidence(pixels.conf, normalisation))


def cluster_targets(target: torch.Tensor, weight: torch.Tensor, owner: torch.Tensor,
                    num_clusters: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One dataset's GT heatmaps moved to the cluster channels (the released code's cluster
    heatmap targets): channel c = max over the labelled keypoints that c owns.

    target: (B, K_d, h, w); weight: (B, K_d); owner: (K_d,) cluster of each keypoint.
    -> (cluster targets (B, K, h, w), cluster weights (B, K) = max weight of the owned keypoints).
    """
    b, _, h, w = target.shape
    t = target * (weight > 0).to(target.dtype)[:, :, None, None]
    idx = owner[None, :].expand(b, -1)  # (B, K_d)
    out = target.new_zeros(b, num_clusters, h, w).scatter_reduce_(
        1, idx[:, :, None, None].expand_as(t), t, "amax")
    wt = weight.new_zeros(b, num_clusters).scatter_reduce_(1, idx, weight, "amax")
    return out, wt
