"""A posed figure: canonical named points in a figure-local frame, placed in the image by
``A @ p + t`` (scale, rotation, mirror, then translation). The bodies of ``bodies.py`` build them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Figure:
    """A model posed in figure-local coordinates and placed in the image by ``A @ p + t``."""

    domain: str  # "human", "animal" or "hand"
    names: dict[str, int]
    local: np.ndarray  # (N, 2) canonical points, figure-local units
    A: np.ndarray = field(default_factory=lambda: np.eye(2))  # local units -> image pixels
    t: np.ndarray = field(default_factory=lambda: np.zeros(2))
    species: str | None = None
    side: int = 1  # hand domain: +1 left hand, -1 right hand; animal: +1 faces image right
    extras: dict = field(default_factory=dict)  # model constants needed for drawing (radii ...)

    @property
    def scale(self) -> float:
        """Pixels per figure-local unit."""
        return float(np.sqrt(abs(np.linalg.det(self.A))))

    def to_image(self, pts: np.ndarray) -> np.ndarray:
        return np.asarray(pts, dtype=np.float64) @ self.A.T + self.t

    @property
    def points(self) -> np.ndarray:
        """All canonical points in image pixels, (N, 2)."""
        return self.to_image(self.local)

    def p(self, name: str) -> np.ndarray:
        """One canonical point in image pixels."""
        return self.to_image(self.local[self.names[name]])

    def local_extent(self) -> tuple[np.ndarray, np.ndarray]:
        """(min, max) of the canonical points in local units, padded by the head/body radii."""
        pad = self.extras.get("pad", 0.05)
        return self.local.min(0) - pad, self.local.max(0) + pad


def rotation_matrix(deg: float) -> np.ndarray:
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s], [s, c]])


def make_figure(domain: str, pts: dict[str, np.ndarray], **kw) -> Figure:
    names = {k: i for i, k in enumerate(pts)}
    local = np.array([pts[k] for k in pts], dtype=np.float64)
    return Figure(domain=domain, names=names, local=local, **kw)




def place(fig: Figure, canvas: tuple[int, int], fill: float, rotation: float,
          shift: tuple[float, float]) -> Figure:
    """Scale ``fig`` so its extent fills ``fill`` of the canvas, rotate (deg), centre + shift (px).

    Animals facing image-left are mirrored here (``fig.side == -1``).
    """
    W, H = canvas
    names = fig.extras.get("fit_names")
    local = fig.local if names is None else fig.local[[fig.names[n] for n in names]]
    local = np.concatenate([local] + [fig.extras[k] for k in ("head_poly", "torso_poly")
                                      if k in fig.extras])
    pad = fig.extras.get("pad", 0.05)
    lo, hi = local.min(0) - pad, local.max(0) + pad
    size = hi - lo
    s = fill * min(H / size[1], 1.3 * W / size[0]) if fig.domain != "hand" else fill * min(W, H) / 1.1
    M = np.diag([float(fig.side) if fig.domain == "animal" else 1.0, 1.0])
    fig.A = s * rotation_matrix(rotation) @ M
    centre = 0.5 * (lo + hi)
    fig.t = np.array([W / 2 + shift[0], H / 2 + shift[1]]) - fig.A @ centre
    return fig


