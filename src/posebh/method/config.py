"""PoseBH hyper-parameters (paper supplement C.1; code constants in the design note §1.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from posebh import configs

Pos = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


@configs.strict
@dataclass
class MethodConfig:
    """Everything PoseBH adds to the ViTPose++ baseline. Defaults = the paper's ViT-B values."""

    embed_dim: Annotated[int, Field(ge=1)] = 64   # F
    num_prototypes: Annotated[int, Field(ge=1)] = 3  # M, in-class prototypes per keypoint
    similarity: Literal["cos", "abs"] = "cos"      # paper Eq. 1 | released code: |cos|
    kappa: Pos = 0.05                              # Sinkhorn temperature (Eq. 3)
    sinkhorn_iters: Annotated[int, Field(ge=1)] = 3
    momentum: Fraction = 0.999                     # lambda (Eq. 4)
    fg_threshold: Annotated[float, Field(ge=0, lt=1)] = 0.0  # GT-heatmap value of a fg pixel
    fg_shared: bool = False  # a pixel counts for every keypoint at its GT max (ties); code: argmax
    alpha: NonNeg = 3.33e-6                        # prototype-heatmap MSE
    beta: NonNeg = 1.25e-7                         # PPC (Eq. 5)
    gamma: NonNeg = 1.25e-8                        # PPD (Eq. 6)
    delta: NonNeg = 0.01                           # K-means cross-dataset negatives
    zeta: NonNeg = 1e-3                            # L_CSS (Eq. 8)
    num_clusters: Annotated[int, Field(ge=1)] = 96  # K
    negatives: bool = True                         # K-means cross-dataset negatives from phase 2 on
    css: bool = True                               # cross-type self-supervision
    css_conf_thr: Fraction = 0.25                  # c_thr
    css_dist_thr: Pos = 2.1                        # d_thr, heatmap pixels (Euclidean)
    css_start: Fraction = 0.5                      # fraction of the epochs where CSS starts (code/C.4: 0.5; §4.2: 0.9)
    phases: tuple[Fraction, Fraction] = (0.5, 0.9)  # phase boundaries as fractions of the epochs
    # the loss's five normalisations: the paper's | the released code's (docs/method.md)
    normalisation: Literal["paper", "released"] = "paper"

    @classmethod
    def from_dict(cls, d: dict | None, where: str = "method") -> "MethodConfig":
        return configs.parse(cls, d, where)

    def to_dict(self) -> dict:
        return configs.to_dict(self)
