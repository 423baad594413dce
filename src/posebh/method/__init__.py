"""PoseBH (CVPR 2025): keypoint prototypes and cross-type self-supervision, on top of ViTPose++.

One idea per module: ``config`` (hyper-parameters), ``sinkhorn`` (equipartition assignment),
``prototype_learning`` (Eq. 2-6), ``negatives`` (K-means cross-dataset negatives),
``css`` (Eq. 7-8), ``phases`` (the three-phase schedule), ``objective`` (the training loss).
"""
