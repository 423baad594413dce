"""Drawing of the synthetic scenes: per-dataset domain styles, backgrounds, clutter, figures.

Left/right cue (humans and animals): every LEFT limb (arm, leg, foot, hand, animal leg) is drawn
in a lighter tint of the base colour (``lighten(base, LEFT_TINT)``) with two small pale dots at
1/4 and 3/4 of each segment; every RIGHT limb in a darker shade (``darken(base, RIGHT_SHADE)``),
plain. Animals also carry their left eye as a pale dot, the right eye dark. Geometry gives a second,
flip-consistent cue: humans are always frontal (subject's left on the image right), animals show
their near side (right when facing image-right).

All drawing is PIL ``ImageDraw`` primitives without anti-aliasing, so the figure layer's alpha is
an exact binary mask (used for the tight bbox and the area).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from posebh.data.bodies import HEAD_RX, SPECIES, Figure

Colour = tuple[int, int, int]

LEFT_TINT = 0.5  # left limbs: base + 0.5 * (255 - base)
RIGHT_SHADE = 0.5  # right limbs: base * (1 - 0.5)
DOT_COLOUR: Colour = (250, 250, 235)

#: Per-dataset scene style: background kind, palette, clutter count range, figure fill of the
#: canvas, in-plane rotation (+/- deg), centre shift (fraction of the canvas), occluder probability.
DOMAIN_STYLES: dict[str, dict] = {
    "coco": dict(background="flat_noise", clutter=(5, 10), fill=(0.5, 0.9), rotation=30,
                 shift=0.15, occlusion=0.3,
                 palette=[(200, 190, 170), (120, 130, 140), (90, 100, 80), (180, 150, 120),
                          (60, 70, 90), (220, 220, 210), (150, 60, 50)]),
    "aic": dict(background="gradient_stripes", clutter=(2, 5), fill=(0.5, 0.9), rotation=30,
                shift=0.15, occlusion=0.3,
                palette=[(170, 180, 200), (200, 200, 200), (140, 120, 110), (100, 120, 140),
                         (210, 190, 150)]),
    "mpii": dict(background="noise", clutter=(3, 7), fill=(0.5, 0.9), rotation=30, shift=0.15,
                 occlusion=0.3,
                 palette=[(150, 140, 120), (90, 110, 90), (170, 160, 150), (110, 100, 120),
                          (130, 90, 70)]),
    "ap10k": dict(background="outdoor", clutter=(3, 8), fill=(0.5, 0.9), rotation=15,
                  shift=0.15, occlusion=0.3,
                  palette=[(90, 130, 60), (120, 150, 80), (150, 120, 80), (110, 90, 60),
                           (170, 190, 120), (140, 180, 220)]),
    "apt36k": dict(background="outdoor", clutter=(2, 6), fill=(0.45, 0.8), rotation=10,
                   shift=0.12, occlusion=0.3,
                   palette=[(100, 140, 70), (160, 140, 100), (130, 160, 200), (80, 100, 60),
                            (190, 170, 130)]),
    "coco_wholebody": dict(background="flat_noise", clutter=(4, 8), fill=(0.8, 1.05),
                           rotation=25, shift=0.1, occlusion=0.3,
                           palette=[(200, 190, 170), (120, 130, 140), (90, 100, 80),
                                    (180, 150, 120), (60, 70, 90), (220, 220, 210)]),
    "interhand2d": dict(background="studio", clutter=(0, 2), fill=(0.7, 0.9), rotation=90,
                        shift=0.06, occlusion=0.2,
                        palette=[(30, 30, 35), (50, 45, 45), (20, 25, 30), (70, 70, 80)]),
    "pw3d": dict(background="outdoor", clutter=(3, 7), fill=(0.55, 0.9), rotation=20,
                 shift=0.12, occlusion=0.3,
                 palette=[(120, 120, 125), (100, 130, 90), (150, 140, 130), (140, 170, 200),
                          (90, 90, 100)]),
}

SKIN: tuple[Colour, ...] = ((255, 219, 172), (241, 194, 125), (224, 172, 105), (198, 134, 66),
                            (141, 85, 36), (110, 70, 40))
HAIR: tuple[Colour, ...] = ((20, 15, 10), (70, 45, 25), (150, 110, 60), (200, 170, 110),
                            (120, 120, 120))


def lighten(c, f: float) -> Colour:
    """Mix the RGB part of ``c`` toward white by ``f`` (an alpha component is kept)."""
    return tuple(int(round(v + f * (255 - v))) for v in c[:3]) + tuple(c[3:])


def darken(c, f: float) -> Colour:
    """Mix the RGB part of ``c`` toward black by ``f`` (an alpha component is kept)."""
    return tuple(int(round(v * (1 - f))) for v in c[:3]) + tuple(c[3:])


def _jitter(rng: np.random.Generator, c, amount: int = 20) -> Colour:
    d = rng.integers(-amount, amount + 1, 3).tolist()
    return tuple(min(255, max(0, int(v) + e)) for v, e in zip(c, d))


def _pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(len(seq)))]


# ----------------------------------------------------------------------------- backgrounds

def _noise(rng: np.random.Generator, cells: int, amplitude: float, chroma: float = 0.35) -> np.ndarray:
    """(cells, cells, 3) noise: a grey component plus a weaker colour component."""
    grey = rng.normal(0.0, amplitude, size=(cells, cells, 1))
    return grey + rng.normal(0.0, chroma * amplitude, size=(cells, cells, 3))


def background(style: dict, rng: np.random.Generator, canvas: tuple[int, int]) -> Image.Image:
    """The style's background texture as an RGB image of size ``canvas`` (W, H).

    Built on a small grid (at most 32 x 32 cells) and bilinearly upsampled, which is cheap.
    """
    W, H = canvas
    pal = style["palette"]
    kind = style["background"]
    a = np.asarray(_jitter(rng, _pick(rng, pal), 25), dtype=np.float64)
    b = np.asarray(_jitter(rng, _pick(rng, pal), 25), dtype=np.float64)
    n = {"flat_noise": 6, "noise": 28, "outdoor": 32, "gradient_stripes": 8, "studio": 12}.get(kind)
    if n is None:
        raise ValueError(f"unknown background kind {kind!r}")
    ys = np.linspace(0.0, 1.0, n)[:, None, None]
    if kind == "flat_noise":
        arr = a + _noise(rng, n, 18)
    elif kind == "gradient_stripes":
        arr = a * (1 - ys) + b * ys + np.zeros((n, n, 3))
    elif kind == "noise":
        arr = a + _noise(rng, n, 30)
    elif kind == "outdoor":
        horizon = rng.uniform(0.15, 0.45)
        sky = np.asarray(_jitter(rng, (150, 185, 225), 20), np.float64)
        arr = np.where(ys < horizon, sky, a * (1 - ys) + b * ys) + _noise(rng, n, 14)
    else:  # studio: dark radial gradient
        xs = np.linspace(-1.0, 1.0, n)[None, :, None]
        arr = a + 40.0 * (1 - np.sqrt(xs ** 2 + (2 * ys - 1) ** 2)) + np.zeros((n, n, 3))
    small = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    img = small.resize(canvas, Image.BILINEAR)
    if kind == "gradient_stripes":
        d = ImageDraw.Draw(img)
        c = _jitter(rng, _pick(rng, pal), 30)
        step = int(rng.integers(8, 20))
        slope = rng.uniform(-1.0, 1.0)
        for x in range(-H, W + H, step):
            d.line([(x, 0), (x + slope * H, H)], fill=c, width=max(1, step // 4))
    return img


def draw_clutter(draw: ImageDraw.ImageDraw, style: dict, rng: np.random.Generator,
                 canvas: tuple[int, int], figure_like: list[Colour]) -> None:
    """Random rectangles, ellipses and sticks; about a third in figure-like colours."""
    W, H = canvas
    lo, hi = style["clutter"]
    for _ in range(int(rng.integers(lo, hi + 1))):
        kind = int(rng.integers(3))
        if rng.random() < 0.35 and figure_like:
            c = _jitter(rng, _pick(rng, figure_like), 15)
        else:
            c = _jitter(rng, _pick(rng, style["palette"]), 40)
        x, y = rng.uniform(-0.1, 1.1) * W, rng.uniform(-0.1, 1.1) * H
        w, h = rng.uniform(0.05, 0.3) * W, rng.uniform(0.05, 0.3) * H
        if kind == 0:
            draw.rectangle([x, y, x + w, y + h], fill=c)
        elif kind == 1:
            draw.ellipse([x, y, x + w, y + h], fill=c)
        else:  # limb-like stick
            a = rng.uniform(0, 2 * np.pi)
            L = rng.uniform(0.1, 0.3) * H
            draw.line([(x, y), (x + L * np.cos(a), y + L * np.sin(a))], fill=c,
                      width=int(rng.integers(2, 6)))


def sample_occluder(rng: np.random.Generator, kps: np.ndarray, inside: np.ndarray,
                    palette) -> tuple[tuple[float, float, float, float], Colour] | None:
    """A solid rectangle (x0, y0, x1, y1) and colour over part of the figure, near one keypoint."""
    idx = np.flatnonzero(inside)
    if idx.size == 0:
        return None
    pts = kps[idx]
    span = np.maximum(pts.max(0) - pts.min(0), 8.0)
    centre = pts[int(rng.integers(len(pts)))] + rng.normal(0, 0.05, 2) * span
    w, h = rng.uniform(0.2, 0.45) * span[0], rng.uniform(0.15, 0.4) * span[1]
    rect = (float(centre[0] - w / 2), float(centre[1] - h / 2), float(centre[0] + w / 2),
            float(centre[1] + h / 2))
    return rect, _jitter(rng, _pick(rng, palette), 40)


# ----------------------------------------------------------------------------- figure colours

def figure_colours(fig: Figure, rng: np.random.Generator) -> dict[str, Colour]:
    """Base colours of one figure plus its left (lighter) / right (darker) limb variants."""
    if fig.domain == "animal":
        body = _jitter(rng, _pick(rng, SPECIES[fig.species]["colours"]), 15)
        limb = body
        skin = body
    else:
        skin = _jitter(rng, _pick(rng, SKIN), 8)
        body = tuple(int(v) for v in rng.integers(60, 190, 3))  # shirt
        limb = tuple(int(v) for v in rng.integers(60, 190, 3))  # trousers
    return {
        "body": body, "skin": skin, "hair": _pick(rng, HAIR),
        "arm_L": lighten(body, LEFT_TINT), "arm_R": darken(body, RIGHT_SHADE),
        "leg_L": lighten(limb, LEFT_TINT), "leg_R": darken(limb, RIGHT_SHADE),
        "hand_L": lighten(skin, 0.35), "hand_R": darken(skin, 0.3),
        "face": darken(skin, 0.45), "dark": (15, 12, 10),
    }


# ----------------------------------------------------------------------------- figure drawing

def _points(fig: Figure):
    """Fast name -> image-point (x, y) tuple lookup (all points transformed once)."""
    table = dict(zip(fig.names, map(tuple, fig.points.tolist())))
    return table.__getitem__


def _t(p) -> tuple[float, float]:
    return float(p[0]), float(p[1])


def _segment(draw: ImageDraw.ImageDraw, a, b, width: float, colour, dots: bool) -> None:
    w = max(1, int(round(width)))
    draw.line([a, b], fill=colour, width=w)
    r = w / 2.0
    if w >= 3:
        draw.ellipse([b[0] - r, b[1] - r, b[0] + r, b[1] + r], fill=colour)
    if dots:
        rd = max(0.8, 0.22 * w)
        for f in (0.25, 0.75):
            x, y = a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])
            draw.ellipse([x - rd, y - rd, x + rd, y + rd], fill=DOT_COLOUR)


def _hand(draw: ImageDraw.ImageDraw, fig: Figure, prefix: str, colour, finger_w: float,
          nails: bool = False) -> None:
    P = _points(fig)
    palm = [prefix + n for n in ("hand_root", "thumb1", "forefinger1", "middle_finger1",
                                 "ring_finger1", "pinky_finger1", "palm_ulnar")]
    draw.polygon([P(n) for n in palm], fill=colour)
    for f in ("thumb", "forefinger", "middle_finger", "ring_finger", "pinky_finger"):
        w = finger_w * (1.15 if f == "thumb" else 0.85 if f == "pinky_finger" else 1.0)
        chain = [P(f"{prefix}{f}{j}") for j in range(1, 5)]
        for a, b in zip(chain[:-1], chain[1:]):
            _segment(draw, a, b, w, colour, False)
        if nails and w >= 4:
            (x1, y1), (x0, y0) = chain[-1], chain[-2]
            tip = (x1 + 0.25 * (x0 - x1), y1 + 0.25 * (y0 - y1))
            r = 0.28 * w
            draw.ellipse([tip[0] - r, tip[1] - r, tip[0] + r, tip[1] + r],
                         fill=lighten(colour, 0.45))


def draw_human(draw: ImageDraw.ImageDraw, fig: Figure, col: dict) -> None:
    """Legs, torso, arms, hands, neck, head with hair and a faint 68-point face."""
    P, s = _points(fig), fig.scale
    for side in ("R", "L"):
        n = "left" if side == "L" else "right"
        c, dots = col["leg_" + side], side == "L"
        _segment(draw, P(f"{n}_hip"), P(f"{n}_knee"), 0.058 * s, c, dots)
        _segment(draw, P(f"{n}_knee"), P(f"{n}_ankle"), 0.046 * s, c, dots)
        draw.polygon([P(f"{n}_{k}") for k in ("ankle", "heel", "small_toe", "big_toe")],
                     fill=darken(c, 0.25))
    sh_l, sh_r = P("left_shoulder"), P("right_shoulder")
    hp_l, hp_r = np.array(P("left_hip")), np.array(P("right_hip"))
    out = 0.02 * (hp_l - hp_r) / max(np.linalg.norm(hp_l - hp_r), 1e-6) * s
    draw.polygon([sh_l, sh_r, _t(hp_r - out), _t(hp_l + out)], fill=col["body"])
    _segment(draw, P("neck"), P("upper_neck"), 0.04 * s, col["skin"], False)
    head = fig.to_image(fig.extras["head_poly"])
    draw.polygon([_t(p) for p in head], fill=col["skin"])
    draw.polygon([_t(p) for p in head[10:20]] + [_t(head[0])], fill=col["hair"])  # top half
    for n in ("left_ear", "right_ear"):
        e, r = P(n), max(1.0, 0.25 * HEAD_RX * s)
        draw.ellipse([e[0] - r, e[1] - r, e[0] + r, e[1] + r], fill=darken(col["skin"], 0.15))
    F = [P(f"face-{i}") for i in range(68)]
    fc = col["face"]
    for a, b, closed in ((0, 17, False), (17, 22, False), (22, 27, False), (27, 31, False),
                         (31, 36, False), (36, 42, True), (42, 48, True), (48, 60, True)):
        pts = F[a:b] + ([F[a]] if closed else [])
        draw.line(pts, fill=fc, width=1)
    for n in ("left_eye", "right_eye"):
        e, r = P(n), max(0.7, 0.1 * HEAD_RX * s)
        draw.ellipse([e[0] - r, e[1] - r, e[0] + r, e[1] + r], fill=col["dark"])
    for side in ("R", "L"):
        n = "left" if side == "L" else "right"
        c, dots = col["arm_" + side], side == "L"
        _segment(draw, P(f"{n}_shoulder"), P(f"{n}_elbow"), 0.042 * s, c, dots)
        _segment(draw, P(f"{n}_elbow"), P(f"{n}_wrist"), 0.035 * s, c, dots)
        _hand(draw, fig, f"{n}_", col["hand_" + side], max(1.0, 0.011 * s))


def draw_animal(draw: ImageDraw.ImageDraw, fig: Figure, col: dict) -> None:
    """Far legs, tail, torso, neck, head, near legs, eyes (left pale, right dark), nose."""
    P, s = _points(fig), fig.scale
    sp = SPECIES[fig.species]
    near = fig.extras["near"]
    far = "L" if near == "R" else "R"

    def legs(side: str) -> None:
        c, dots = col["leg_" + side], side == "L"
        for a, b, w in (("Shoulder", "Elbow", 0.09), ("Elbow", "F_Paw", 0.07),
                        ("Hip", "Knee", 0.1), ("Knee", "B_Paw", 0.07)):
            _segment(draw, P(f"{side}_{a}"), P(f"{side}_{b}"), w * s, c, dots)
        for paw in ("F", "B"):
            _segment(draw, P(f"{side}_{paw}_Paw"), P(f"{side}_{paw}_toe"), 0.06 * s,
                     darken(c, 0.3), False)

    legs(far)
    tail = [P("Root of tail")] + [P(f"tail{i}") for i in (1, 2, 3)]
    draw.line(tail, fill=darken(col["body"], 0.15), width=max(1, int(0.05 * s)))
    draw.polygon([_t(p) for p in fig.to_image(fig.extras["torso_poly"])], fill=col["body"])
    neck_w = 0.16 * s * (0.6 if sp["neck"] > 0.6 else 1.0)
    nk, bc = np.array(P("Neck")), np.array(P("body_center"))
    _segment(draw, _t(nk + (bc - nk) * 0.15), P("head_center"), neck_w, col["body"], False)
    head = fig.to_image(fig.extras["head_poly"])
    draw.polygon([_t(p) for p in head], fill=col["body"])
    hc, ear = np.array(P("head_center")), np.array(P("ear_tip"))
    perp = np.array([-(ear - hc)[1], (ear - hc)[0]]) * 0.35
    draw.polygon([_t(ear), _t(hc + perp), _t(hc - perp)], fill=darken(col["body"], 0.2))
    legs(near)
    r = max(1.0, 0.035 * s)
    for side, c in (("L", (245, 235, 140)), ("R", (10, 10, 10))):
        e = P(f"{side}_Eye")
        draw.ellipse([e[0] - r, e[1] - r, e[0] + r, e[1] + r], fill=c)
    n = P("Nose")
    draw.ellipse([n[0] - r, n[1] - r, n[0] + r, n[1] + r], fill=col["dark"])


def draw_hand(draw: ImageDraw.ImageDraw, fig: Figure, col: dict) -> None:
    """Close-up hand: forearm stub, palm, fingers with nails."""
    s, P = fig.scale, _points(fig)
    _segment(draw, P("forearm_end"), P("hand_root"), 0.3 * s, col["body"], False)
    _hand(draw, fig, "", col["skin"], 0.075 * s, nails=True)


DRAWERS = {"human": draw_human, "animal": draw_animal, "hand": draw_hand}


def draw_figure(layer: Image.Image, fig: Figure, col: dict) -> None:
    """Draw ``fig`` opaquely onto an RGBA ``layer`` (its alpha becomes the figure mask)."""
    draw = ImageDraw.Draw(layer)
    rgba = {k: (tuple(v) + (255,)) for k, v in col.items()}
    DRAWERS[fig.domain](draw, fig, rgba)
