"""PoseBH hyper-parameters (paper supplement C.1; code constants in the design note §1.2)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class MethodConfig:
    """Everything PoseBH adds to the ViTPose++ baseline. Defaults = the paper's ViT-B values."""

    embed_dim: int = 64            # F
    num_prototypes: int = 3        # M, in-class prototypes per keypoint
    similarity: str = "cos"        # "cos" (paper Eq. 1) | "abs" (released code: |cos|)
    kappa: float = 0.05            # Sinkhorn temperature (Eq. 3)
    sinkhorn_iters: int = 3
    momentum: float = 0.999        # lambda (Eq. 4)
    fg_threshold: float = 0.0      # GT-heatmap value above which a pixel is a foreground sample
    alpha: float = 3.33e-6         # prototype-heatmap MSE
    beta: float = 1.25e-7          # PPC (Eq. 5)
    gamma: float = 1.25e-8         # PPD (Eq. 6)
    delta: float = 0.01            # K-means cross-dataset negatives
    zeta: float = 1e-3             # L_CSS (Eq. 8)
    num_clusters: int = 96         # K
    negatives: bool = True         # K-means cross-dataset negatives from phase 2 on
    css: bool = True               # cross-type self-supervision
    css_conf_thr: float = 0.25     # c_thr
    css_dist_thr: float = 2.1      # d_thr, heatmap pixels (Euclidean)
    css_start: float = 0.5         # fraction of the epochs where CSS starts (code/C.4: 0.5; §4.2: 0.9)
    phases: tuple[float, float] = (0.5, 0.9)  # phase boundaries as fractions of the epochs

    @classmethod
    def from_dict(cls, d: dict | None) -> "MethodConfig":
        d = dict(d or {})
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"method: unknown keys {sorted(unknown)}")
        if "phases" in d:
            d["phases"] = tuple(d["phases"])
        if d.get("similarity", "cos") not in ("cos", "abs"):
            raise ValueError(f"method.similarity must be 'cos' or 'abs', got {d['similarity']!r}")
        return cls(**d)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["phases"] = list(self.phases)
        return d
