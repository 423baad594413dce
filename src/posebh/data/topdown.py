"""Top-down geometry: box -> (center, scale), crop affine matrices (plain and UDP), image
crops, augmentation.

Written from the description of mmpose 0.x (``TopDownCocoDataset._xywh2cs``,
``TopDownRandomFlip``, ``TopDownGetRandomScaleRotation``, ``TopDownAffine`` with and without
UDP); no code copied.

Conventions (used everywhere in ``posebh.data`` and ``posebh.evaluation.decode``):

* Coordinates are in pixels with the *pixel-centre-at-integer* convention of OpenCV / COCO
  keypoints: pixel (i, j) of an image covers ``[i-0.5, i+0.5]``.  PIL uses the *pixel-area*
  convention (pixel i covers ``[i, i+1]``); :func:`crop_image` converts between the two, so a
  crop equals ``cv2.warpAffine`` with the same matrix (bilinear, zero border).
* ``scale`` is the crop size ``(w, h)`` in **image pixels** (mmpose's ``scale * pixel_std``
  with ``pixel_std = 200``; there is no 200 anywhere in this package).
* ``rotation`` is in degrees.  The forward matrix is, for both encodings,
  ``dst = S @ R(-rotation) @ (p - center) + o`` with
  ``R(a) = [[cos a, -sin a], [sin a, cos a]]``:

  - plain (MSRA): ``S = diag(W / scale_w, H / scale_h)``,         ``o = (W / 2, H / 2)``
  - UDP:          ``S = diag((W-1) / scale_w, (H-1) / scale_h)``, ``o = ((W-1)/2, (H-1)/2)``

  where ``(W, H)`` is the output size (network input or heatmap).  mmpose's plain path uses
  the width ratio for both axes; here each axis has its own ratio, identical once the box has
  the network's aspect ratio (always so after :func:`box_to_center_scale`).  mmpose's UDP path
  rotates by ``+rotation`` where its plain path rotates by ``-rotation``; rotations are drawn
  from a symmetric distribution, so the plain direction is used for both here.
* A plain head's heatmap is the input scaled by ``heatmap / input``; a UDP head's by
  ``(heatmap - 1) / (input - 1)``.  Hence ``get_affine_matrix(..., output_size=heatmap_size)``
  maps image points straight to heatmap coordinates and its inverse maps decoded heatmap
  coordinates back to the image (``decode.to_image_coords``).
* Horizontal flip (train): mmpose flips the whole image (``x -> img_w - 1 - x``) and the box
  centre, then crops.  Here the flip is folded into the crop matrix (``M @ F``), which samples
  exactly the same pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image

# Default train-time augmentation of the ViTPose++ / PoseBH configs (mmpose names).
DEFAULT_AUG: dict[str, float] = {
    # rotation = clip(randn * 40, -80, 80) degrees (mmpose clips at 2 * rot_factor)
    "rot_factor": 40.0,
    "scale_factor": 0.5,  # scale *= clip(randn * 0.5 + 1, 0.5, 1.5)
    "flip_prob": 0.5,
    "rot_prob": 0.6,  # mmpose TopDownGetRandomScaleRotation default
    "bbox_padding": 1.25,
}


def box_to_center_scale(
    bbox: np.ndarray | tuple[float, float, float, float],
    aspect_ratio: float,
    padding: float = 1.25,
) -> tuple[np.ndarray, np.ndarray]:
    """COCO box ``(x, y, w, h)`` -> ``center (2,)``, ``scale (2,)`` (crop w, h in pixels).

    The box is enlarged to ``aspect_ratio = input_w / input_h`` around its centre, then by
    ``padding`` (mmpose's load-time random centre jitter for training is *not* applied).
    """
    x, y, w, h = (float(v) for v in bbox[:4])
    center = np.array([x + w * 0.5, y + h * 0.5], dtype=np.float64)
    if w > aspect_ratio * h:
        h = w / aspect_ratio
    elif w < aspect_ratio * h:
        w = h * aspect_ratio
    scale = np.array([w, h], dtype=np.float64) * padding
    return center, scale


def clean_bbox(bbox, img_w: float | None, img_h: float | None) -> np.ndarray | None:
    """mmpose's box sanitation: clip ``(x, y, w, h)`` to the image; ``None`` when degenerate.

    Without image size only the non-negativity of the extent is checked.
    """
    x, y, w, h = (float(v) for v in bbox[:4])
    x1, y1 = max(0.0, x), max(0.0, y)
    x2, y2 = x1 + max(0.0, w - 1), y1 + max(0.0, h - 1)
    if img_w is not None:
        x2 = min(float(img_w) - 1, x2)
    if img_h is not None:
        y2 = min(float(img_h) - 1, y2)
    if w * h <= 0 or x2 <= x1 or y2 <= y1:
        return None
    return np.array([x1, y1, x2 - x1, y2 - y1], dtype=np.float64)


def get_affine_matrix(
    center,
    scale,
    rotation: float,
    output_size: tuple[int, int],
    udp: bool,
) -> np.ndarray:
    """Forward 2x3 matrix image -> crop (see module docstring). ``output_size = (W, H)``."""
    cx, cy = float(center[0]), float(center[1])
    sw, sh = float(scale[0]), float(scale[1])
    W, H = float(output_size[0]), float(output_size[1])
    if udp:
        kx, ky, ox, oy = (W - 1.0) / sw, (H - 1.0) / sh, (W - 1.0) * 0.5, (H - 1.0) * 0.5
    else:
        kx, ky, ox, oy = W / sw, H / sh, W * 0.5, H * 0.5
    a = np.deg2rad(float(rotation))
    c, s = np.cos(a), np.sin(a)
    # R(-a) = [[c, s], [-s, c]]
    m = np.array([[kx * c, kx * s, 0.0], [-ky * s, ky * c, 0.0]], dtype=np.float64)
    m[:, 2] = np.array([ox, oy]) - m[:, :2] @ np.array([cx, cy])
    return m


def flip_matrix(img_width: float) -> np.ndarray:
    """2x3 matrix of the horizontal image flip ``x -> img_width - 1 - x`` (mmpose flip)."""
    return np.array([[-1.0, 0.0, float(img_width) - 1.0], [0.0, 1.0, 0.0]])


def compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """2x3 affine ``a ∘ b`` (apply ``b`` first)."""
    out = a[:, :2] @ b
    out[:, 2] += a[:, 2]
    return out


def invert_affine(m: np.ndarray) -> np.ndarray:
    """Inverse of a 2x3 affine matrix."""
    lin = np.linalg.inv(m[:, :2])
    return np.concatenate([lin, -(lin @ m[:, 2])[:, None]], axis=1)


def transform_points(points: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine to ``points (..., 2)``."""
    pts = np.asarray(points, dtype=np.float64)
    return pts @ m[:, :2].T + m[:, 2]


def crop_image(
    image: np.ndarray | Image.Image, m: np.ndarray, output_size: tuple[int, int]
) -> np.ndarray:
    """Warp ``image`` with the forward matrix ``m`` into ``output_size = (W, H)``.

    Returns uint8 (H, W, C).  Inside the image, ``cv2.warpAffine(image, m, (W, H),
    flags=INTER_LINEAR)`` truncated instead of rounded; in the outer half pixel PIL clamps to
    the edge pixel where cv2 blends with the 0 border (``posebh.data.batched`` does as cv2).
    PIL wants the inverse (output -> input) coefficients in pixel-area coordinates, hence the
    +-0.5 conversion.
    """
    pil = image if isinstance(image, Image.Image) else Image.fromarray(image)
    inv = invert_affine(m)
    lin = inv[:, :2]
    off = inv[:, 2] - lin @ np.array([0.5, 0.5]) + 0.5
    coeffs = (lin[0, 0], lin[0, 1], off[0], lin[1, 0], lin[1, 1], off[1])
    out = pil.transform(
        (int(output_size[0]), int(output_size[1])),
        Image.Transform.AFFINE,
        data=coeffs,
        resample=Image.Resampling.BILINEAR,
    )
    return np.asarray(out)


@dataclass(frozen=True)
class AugParams:
    """One sample's augmentation draw."""

    flip: bool
    scale_factor: float
    rotation: float  # degrees


def merge_aug(aug: Mapping[str, float] | None) -> dict[str, float]:
    """``DEFAULT_AUG`` updated with ``aug``; unknown keys are an error."""
    out = dict(DEFAULT_AUG)
    if aug:
        unknown = set(aug) - set(out)
        if unknown:
            raise KeyError(f"unknown augmentation keys {sorted(unknown)}; known: {sorted(out)}")
        out.update({k: float(v) for k, v in aug.items()})
    return out


def sample_augmentation(
    rng: np.random.Generator, aug: Mapping[str, float] | None = None
) -> AugParams:
    """Draw flip / scale / rotation like mmpose ``TopDownRandomFlip`` and
    ``TopDownGetRandomScaleRotation``.

    Always consumes four draws in a fixed order (flip uniform, scale normal, rotation normal,
    rotation-gate uniform) so the stream does not depend on the outcomes.
    """
    a = merge_aug(aug)
    u_flip = rng.random()
    z_scale = rng.standard_normal()
    z_rot = rng.standard_normal()
    u_rot = rng.random()
    sf, rf = a["scale_factor"], a["rot_factor"]
    s = float(np.clip(z_scale * sf + 1.0, 1.0 - sf, 1.0 + sf))
    r = float(np.clip(z_rot * rf, -2.0 * rf, 2.0 * rf)) if u_rot < a["rot_prob"] else 0.0
    return AugParams(flip=bool(u_flip < a["flip_prob"]), scale_factor=s, rotation=r)
