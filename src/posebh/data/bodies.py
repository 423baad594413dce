"""Articulated 2D figure geometry shared by every synthetic dataset (no drawing here).

Three models, each a set of *canonical* named points in a figure-local frame (x right, y down):

* human  - frontal stick/limb figure, units of body height (pelvis at the origin). The subject's
  LEFT side is local +x, so in the image (no mirroring) the left limbs appear on the image right,
  as for a real person facing the camera. Hands (21 points each), feet, a 68-point iBUG face.
* animal - side-view quadruped, units of torso length, facing local +x; the near side is the
  RIGHT side when the animal faces image-right and the LEFT side when it faces image-left (as in
  a real side view), so near/far is a geometric left/right cue that survives horizontal flips.
* hand   - close-up of one hand, units of hand length (wrist to middle fingertip).

A :class:`Figure` is the model placed in the image by a linear map ``A`` (scale, rotation,
mirror) and a translation ``t``. Every dataset's keypoints are read off the same figure through
two data tables: :data:`KEYPOINT_SOURCES` (dataset name -> canonical point) and
:data:`KEYPOINT_OFFSETS` (per-dataset, per-keypoint placement offsets in figure-local units), so
identically named keypoints of two datasets sit close to, but not exactly on, each other.
"""

from __future__ import annotations

import math

import numpy as np

from posebh import skeletons
from posebh.data.figure import Figure, make_figure, rotation_matrix

# ----------------------------------------------------------------------------- data tables

#: Dataset keypoint name -> canonical point name, where they differ (default: the same name).
KEYPOINT_SOURCES: dict[str, dict[str, str]] = {
    "mpii": {"thorax": "neck"},
    "pw3d": {"jaw": "jaw", "left_thumb": "left_hand_center", "right_thumb": "right_hand_center",
             "left_foot": "left_foot_ball", "right_foot": "right_foot_ball"},
    "interhand2d": {"wrist": "hand_root"},
}

#: Per-dataset, per-keypoint placement offsets (dx, dy) in figure-local units (human: body
#: height, animal: torso length, hand: hand length; +x = subject's left / animal's forward,
#: +y = down). Absent keypoints have no offset. COCO-WholeBody's body points follow COCO.
_COCO_OFFSETS: dict[str, tuple[float, float]] = {
    "left_hip": (0.012, 0.0), "right_hip": (-0.012, 0.0),
    "left_shoulder": (0.004, 0.004), "right_shoulder": (-0.004, 0.004),
    "left_ear": (0.004, 0.0), "right_ear": (-0.004, 0.0),
}
KEYPOINT_OFFSETS: dict[str, dict[str, tuple[float, float]]] = {
    "coco": _COCO_OFFSETS,
    "coco_wholebody": _COCO_OFFSETS,
    "aic": {
        "head_top": (0.0, -0.018), "neck": (0.0, -0.018),
        "left_shoulder": (0.0, -0.008), "right_shoulder": (0.0, -0.008),
        "left_ankle": (0.0, 0.006), "right_ankle": (0.0, 0.006),
        "left_hip": (0.006, -0.006), "right_hip": (-0.006, -0.006),
    },
    "mpii": {
        "head_top": (0.0, 0.008), "upper_neck": (0.0, 0.004), "thorax": (0.0, 0.006),
        "pelvis": (0.0, -0.02),
        "left_hip": (0.0, -0.01), "right_hip": (0.0, -0.01),
        "left_ankle": (0.0, -0.006), "right_ankle": (0.0, -0.006),
        "left_shoulder": (0.003, 0.006), "right_shoulder": (-0.003, 0.006),
    },
    "pw3d": {
        "pelvis": (0.0, -0.035), "left_hip": (-0.02, 0.012), "right_hip": (0.02, 0.012),
        "neck": (0.0, -0.03), "jaw": (0.0, 0.0),
        "left_shoulder": (-0.012, 0.008), "right_shoulder": (0.012, 0.008),
        "left_knee": (0.0, -0.006), "right_knee": (0.0, -0.006),
        "left_ankle": (0.0, -0.01), "right_ankle": (0.0, -0.01),
    },
    "ap10k": {"Neck": (-0.02, 0.02)},
    "apt36k": {
        "L_Eye": (0.015, 0.0), "R_Eye": (0.015, 0.0), "Nose": (-0.012, 0.0),
        "Neck": (0.02, -0.02), "Root of tail": (0.0, 0.025),
    },
    "interhand2d": {"wrist": (0.0, 0.02)},
}

#: Quadruped species (category ids are the 1-based position in this table, fixed for the whole
#: benchmark). Lengths in torso lengths; angles in degrees; colours are RGB body colours.
SPECIES: dict[str, dict] = {
    "dog": dict(body_h=0.38, leg=0.58, neck=0.28, neck_angle=50, head=0.32, tail=0.45,
                tail_angle=-25, colours=[(139, 90, 43), (60, 45, 35), (205, 170, 110)]),
    "cat": dict(body_h=0.32, leg=0.42, neck=0.16, neck_angle=40, head=0.25, tail=0.8,
                tail_angle=-55, colours=[(130, 130, 130), (215, 130, 50), (45, 40, 40)]),
    "horse": dict(body_h=0.42, leg=0.9, neck=0.5, neck_angle=55, head=0.42, tail=0.5,
                  tail_angle=60, colours=[(120, 60, 30), (35, 30, 30), (170, 160, 150)]),
    "cow": dict(body_h=0.52, leg=0.6, neck=0.25, neck_angle=20, head=0.36, tail=0.55,
                tail_angle=80, colours=[(40, 35, 35), (230, 225, 215), (125, 80, 50)]),
    "giraffe": dict(body_h=0.45, leg=1.1, neck=1.0, neck_angle=65, head=0.3, tail=0.45,
                    tail_angle=70, colours=[(215, 170, 90), (190, 140, 70)]),
    "bear": dict(body_h=0.56, leg=0.5, neck=0.2, neck_angle=15, head=0.34, tail=0.08,
                 tail_angle=30, colours=[(80, 55, 35), (30, 25, 25), (150, 110, 70)]),
}
SPECIES_NAMES: tuple[str, ...] = tuple(SPECIES)

# Hand model, hand-local (u toward the thumb side, v along the fingers; wrist at 0, middle tip ~1).
_FINGERS: tuple[str, ...] = ("thumb", "forefinger", "middle_finger", "ring_finger", "pinky_finger")
_FINGER_BASE = {  # joint "1" position (thumb: CMC, others: MCP), base direction (rad), segments
    "thumb": ((0.12, 0.10), 0.75, (0.18, 0.15, 0.12)),
    "forefinger": ((0.13, 0.42), 0.12, (0.22, 0.14, 0.10)),
    "middle_finger": ((0.03, 0.45), 0.0, (0.25, 0.17, 0.12)),
    "ring_finger": ((-0.07, 0.43), -0.10, (0.22, 0.15, 0.11)),
    "pinky_finger": ((-0.16, 0.38), -0.22, (0.17, 0.11, 0.09)),
}
HAND_POINTS: tuple[str, ...] = ("hand_root",) + tuple(
    f"{f}{j}" for f in _FINGERS for j in range(1, 5)) + ("palm_ulnar",)


# ----------------------------------------------------------------------------- hand

def sample_hand_pose(rng: np.random.Generator, curl: float = 1.0) -> dict:
    """Finger spread and per-joint flexion (radians); ``curl`` scales the flexion range."""
    return {
        "spread": rng.uniform(-0.08, 0.12, size=5),
        "flex": rng.uniform(0.0, 0.55 * curl, size=(5, 3)),
        "bend": rng.uniform(-0.12, 0.12, size=(5, 3)),
    }


def hand_points(pose: dict) -> dict[str, np.ndarray]:
    """Hand keypoints in hand-local (u, v) coordinates (see module docstring)."""
    pts = {"hand_root": (0.0, 0.0)}
    spread, flex, bend = pose["spread"].tolist(), pose["flex"].tolist(), pose["bend"].tolist()
    for i, f in enumerate(_FINGERS):
        base, angle, segs = _FINGER_BASE[f]
        x, y = base
        pts[f"{f}1"] = base
        a = angle + spread[i] * (i + 1) / 3.0
        cum = 0.0
        for j, seg in enumerate(segs):
            cum = min(cum + flex[i][j], 1.5)
            if f == "thumb":  # thumb flexion swings it across the palm
                a -= 0.5 * flex[i][j]
            a += bend[i][j]
            L = seg * math.cos(cum)
            x, y = x + L * math.sin(a), y + L * math.cos(a)
            pts[f"{f}{j + 2}"] = (x, y)
    pts["palm_ulnar"] = (-0.13, 0.08)
    return pts


def _place_hand(pts: dict, prefix: str, root: np.ndarray, axis: np.ndarray, side: int,
                length: float) -> dict[str, np.ndarray]:
    """Hand-local -> figure-local: v along ``axis``, u across (thumb side set by ``side``)."""
    axis = axis / np.linalg.norm(axis)
    e_u = side * np.array([-axis[1], axis[0]])
    uv = np.array(list(pts.values()))
    xy = root + length * (uv[:, :1] * e_u + uv[:, 1:] * axis)
    return {prefix + k: p for k, p in zip(pts, xy)}


def build_hand(rng: np.random.Generator) -> Figure:
    """Close-up hand (random chirality and articulation), fingers along local -y."""
    side = int(rng.choice([-1, 1]))
    pose = sample_hand_pose(rng, curl=1.3)
    pts = _place_hand(hand_points(pose), "", np.zeros(2), np.array([0.0, -1.0]), side, 1.0)
    pts["forearm_end"] = np.array([0.0, 0.9])  # forearm stub (drawn, not annotated)
    fig = make_figure("hand", pts, side=side, extras={"pad": 0.06})
    fig.extras["fit_names"] = [n for n in fig.names if n != "forearm_end"]
    return fig


# ----------------------------------------------------------------------------- human

HEAD_RX, HEAD_RY = 0.055, 0.068


def sample_human_pose(rng: np.random.Generator) -> dict:
    """Joint angles in degrees (0 = pointing down, + = outward for that side)."""
    u = rng.uniform
    pose = {"lean": u(-12, 12), "tilt": u(-18, 18), "hand": {}}
    for s in ("left", "right"):
        upper = u(-25, 165)
        fore = upper + u(-140, 40)
        thigh = u(-20, 50)
        shin = thigh + u(-45, 20)
        pose[s] = {"upper": upper, "fore": fore, "hand": fore + u(-35, 35), "thigh": thigh,
                   "shin": shin, "foot": shin + u(45, 95)}
        pose["hand"][s] = sample_hand_pose(rng)
    return pose


def face_points(rx: float, ry: float) -> np.ndarray:
    """The 68 iBUG landmarks in head-local (u = subject's left, v = down), centred on the head."""
    f = np.zeros((68, 2))
    beta = np.linspace(0.0, np.pi, 17)  # jaw: subject's right ear -> chin -> left ear
    f[0:17] = np.stack([-np.cos(beta) * rx * 0.93, -0.08 * ry + np.sin(beta) * ry * 0.98], 1)
    for k, sgn, idx in ((0, -1, range(17, 22)), (1, 1, range(22, 27))):  # brows, outer->inner (right)
        us = np.linspace(0.62, 0.12, 5) if sgn < 0 else np.linspace(0.12, 0.62, 5)
        for i, uu in zip(idx, us):
            f[i] = (sgn * uu * rx, -0.36 * ry - 0.06 * ry * np.sin(np.pi * (uu - 0.12) / 0.5))
    f[27:31] = np.stack([np.zeros(4), np.linspace(-0.17, 0.22, 4) * ry], 1)  # nose bridge
    f[31:36] = np.stack([np.linspace(-0.17, 0.17, 5) * rx,
                         (0.30 + 0.03 * np.array([0, 0.6, 1, 0.6, 0])) * ry], 1)
    eye = np.array([(-1, 0), (-0.45, -0.7), (0.45, -0.7), (1, 0), (0.45, 0.7), (-0.45, 0.7)])
    ew, eh = 0.17 * rx, 0.07 * ry
    f[36:42] = np.array([-0.36 * rx, -0.12 * ry]) + eye * (ew, eh)  # right eye, outer corner first
    f[42:48] = np.array([0.36 * rx, -0.12 * ry]) + eye[[3, 2, 1, 0, 5, 4]] * (-ew, eh)
    mc, mw, mh = np.array([0.0, 0.56 * ry]), 0.32 * rx, 0.11 * ry
    outer_u = np.array([-1, -0.6, -0.25, 0, 0.25, 0.6, 1, 0.6, 0.25, 0, -0.25, -0.6])
    outer_v = np.array([0, -0.8, -1, -0.85, -1, -0.8, 0, 0.8, 1, 1.05, 1, 0.8])
    f[48:60] = mc + np.stack([outer_u * mw, outer_v * mh], 1)
    inner_u = np.array([-0.85, -0.35, 0, 0.35, 0.85, 0.35, 0, -0.35])
    inner_v = np.array([0, -0.3, -0.3, -0.3, 0, 0.3, 0.3, 0.3])
    f[60:68] = mc + np.stack([inner_u * mw, inner_v * mh], 1)
    return f


_FACE = face_points(HEAD_RX, HEAD_RY)


def human_points(pose: dict) -> dict[str, np.ndarray]:
    """Canonical human points (figure-local, units of body height) for one pose."""
    R = rotation_matrix(pose["lean"])
    up, perp = R @ np.array([0.0, -1.0]), R @ np.array([1.0, 0.0])
    Rh = rotation_matrix(pose["lean"] + pose["tilt"])
    h_up, h_perp = Rh @ np.array([0.0, -1.0]), Rh @ np.array([1.0, 0.0])
    pelvis = np.zeros(2)
    neck = pelvis + 0.30 * up
    head = neck + 0.115 * h_up
    pts = {"pelvis": pelvis, "neck": neck, "upper_neck": neck + 0.035 * h_up,
           "head_center": head, "head_top": head + HEAD_RY * h_up,
           "jaw": head - 0.03 * h_up}
    for i in range(3):
        pts[f"spine{i + 1}"] = pelvis + (0.075 + 0.075 * i) * up
    face = head + _FACE[:, :1] * h_perp + _FACE[:, 1:] * (-h_up)
    for i in range(68):
        pts[f"face-{i}"] = face[i]
    pts["nose"] = face[30]
    for s, sgn in (("left", 1), ("right", -1)):
        ang = pose[s]

        def d(deg: float, sgn: int = sgn) -> np.ndarray:
            a = np.deg2rad(deg)
            return np.array([sgn * np.sin(a), np.cos(a)])

        pts[f"{s}_eye"] = 0.5 * (face[39] + face[36]) if sgn < 0 else 0.5 * (face[42] + face[45])
        pts[f"{s}_ear"] = head + sgn * HEAD_RX * 1.02 * h_perp + 0.08 * HEAD_RY * h_up
        sh = neck + sgn * 0.115 * perp - 0.018 * up
        pts[f"{s}_collar"] = neck + sgn * 0.05 * perp - 0.008 * up
        pts[f"{s}_shoulder"] = sh
        pts[f"{s}_elbow"] = el = sh + 0.16 * d(ang["upper"])
        pts[f"{s}_wrist"] = wr = el + 0.14 * d(ang["fore"])
        hand = _place_hand(hand_points(pose["hand"][s]), f"{s}_", wr, d(ang["hand"]), sgn, 0.1)
        pts.update(hand)
        pts[f"{s}_hand_center"] = 0.5 * (wr + hand[f"{s}_middle_finger1"])
        hip = pelvis + sgn * 0.085 * perp
        pts[f"{s}_hip"] = hip
        pts[f"{s}_knee"] = kn = hip + 0.245 * d(ang["thigh"])
        pts[f"{s}_ankle"] = an = kn + 0.235 * d(ang["shin"])
        heel = an + 0.025 * d(ang["shin"])
        fd = d(ang["foot"])
        big = heel + 0.07 * fd + np.array([-sgn * 0.012, 0.0])
        small = heel + 0.055 * fd + np.array([sgn * 0.014, 0.005])
        pts[f"{s}_heel"], pts[f"{s}_big_toe"], pts[f"{s}_small_toe"] = heel, big, small
        pts[f"{s}_foot_ball"] = 0.4 * heel + 0.3 * (big + small)
    return pts


def build_human(rng: np.random.Generator, pose: dict | None = None) -> Figure:
    """A randomly posed human figure in local units (place it with :func:`place`)."""
    pose = sample_human_pose(rng) if pose is None else pose
    pts = human_points(pose)
    Rh = rotation_matrix(pose["lean"] + pose["tilt"])
    phi = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    head_poly = pts["head_center"] + (np.stack([HEAD_RX * np.cos(phi), HEAD_RY * np.sin(phi)], 1)
                                      @ Rh.T)
    return make_figure("human", pts, extras={"pad": 0.04, "pose": pose, "head_poly": head_poly})


# ----------------------------------------------------------------------------- animal

def sample_animal_pose(rng: np.random.Generator) -> dict:
    """Leg angles (deg, 0 = down, + = forward), neck/head/tail angles (deg)."""
    u = rng.uniform
    pose = {"neck": u(-15, 15), "head": u(-55, 5), "tail": u(-25, 25)}
    for leg in ("LF", "RF"):
        up_ = u(-25, 30)
        pose[leg] = (up_, up_ + u(-50, 10))
    for leg in ("LB", "RB"):
        up_ = u(-25, 25)
        pose[leg] = (up_, up_ + u(-40, 15))
    return pose


def animal_points(species: str, pose: dict, facing: int) -> dict[str, np.ndarray]:
    """Canonical quadruped points, facing local +x (mirroring happens in the placement)."""
    sp = SPECIES[species]
    bh = sp["body_h"]
    near, far = ("R", "L") if facing > 0 else ("L", "R")
    depth = {near: np.array([0.0, 0.03]), far: np.array([0.06, -0.05])}

    def d(deg: float) -> np.ndarray:
        a = np.deg2rad(deg)
        return np.array([np.sin(a), np.cos(a)])

    pts = {"body_center": np.zeros(2)}
    neck_base = np.array([0.36, -0.32 * bh])
    na = np.deg2rad(sp["neck_angle"] + pose["neck"])
    head = neck_base + sp["neck"] * np.array([np.cos(na), -np.sin(na)]) + np.array([0.04, 0.0])
    ha = np.deg2rad(pose["head"])
    hd = np.array([np.cos(ha), -np.sin(ha)])
    hup = np.array([hd[1], -hd[0]])  # perpendicular pointing up
    hl = sp["head"]
    pts["Neck"] = neck_base
    pts["head_center"] = head
    pts["Nose"] = head + 0.62 * hl * hd
    pts[f"{near}_Eye"] = head + hl * (0.14 * hd + 0.16 * hup) + np.array([0.0, 0.012])
    pts[f"{far}_Eye"] = head + hl * (0.22 * hd + 0.24 * hup)
    pts["ear_tip"] = head + hl * (-0.25 * hd + 0.55 * hup)
    root = np.array([-0.48, -0.3 * bh])
    pts["Root of tail"] = root
    ta = np.deg2rad(sp["tail_angle"] + pose["tail"])
    p = root
    for i in range(3):
        a = ta + 0.25 * i * np.sign(sp["tail_angle"] + 1e-9)
        p = p + sp["tail"] / 3 * np.array([-np.cos(a), np.sin(a)])
        pts[f"tail{i + 1}"] = p
    leg = sp["leg"]
    for side in ("L", "R"):
        sh = np.array([0.3, -0.02]) + depth[side]
        a1, a2 = pose[side + "F"]
        pts[f"{side}_Shoulder"] = sh
        pts[f"{side}_Elbow"] = el = sh + 0.47 * leg * d(a1)
        pts[f"{side}_F_Paw"] = pw = el + 0.53 * leg * d(a2)
        pts[f"{side}_F_toe"] = pw + np.array([0.06, 0.0])
        hp = np.array([-0.32, -0.04]) + depth[side]
        a1, a2 = pose[side + "B"]
        pts[f"{side}_Hip"] = hp
        pts[f"{side}_Knee"] = kn = hp + 0.47 * leg * d(a1)
        pts[f"{side}_B_Paw"] = pw = kn + 0.55 * leg * d(a2)
        pts[f"{side}_B_toe"] = pw + np.array([0.06, 0.0])
    return pts


def build_animal(rng: np.random.Generator, species: str | None = None, pose: dict | None = None,
                 facing: int | None = None) -> Figure:
    """A quadruped of ``species`` (random if None) in local units, facing +x in its frame."""
    species = SPECIES_NAMES[int(rng.integers(len(SPECIES)))] if species is None else species
    facing = int(rng.choice([-1, 1])) if facing is None else facing
    pose = sample_animal_pose(rng) if pose is None else pose
    sp = SPECIES[species]
    pts = animal_points(species, pose, facing)
    phi = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    torso = np.stack([0.52 * np.cos(phi), 0.5 * sp["body_h"] * np.sin(phi)], 1)
    hd = pts["Nose"] - pts["head_center"]
    hd = hd / np.linalg.norm(hd)
    hup = np.array([hd[1], -hd[0]])
    hl = sp["head"]
    ell = np.stack([0.45 * hl * np.cos(phi), 0.3 * hl * np.sin(phi)], 1)
    head = pts["head_center"] + 0.2 * hl * hd + ell[:, :1] * hd + ell[:, 1:] * hup
    return make_figure("animal", pts, species=species, side=facing,
                 extras={"pad": 0.08, "pose": pose, "near": "R" if facing > 0 else "L",
                         "torso_poly": torso, "head_poly": head})


# ----------------------------------------------------------------------------- readout

def dataset_keypoints(fig: Figure, dataset: str) -> np.ndarray:
    """``dataset``'s keypoints on ``fig`` in image pixels, (K, 2), in the skeleton's order."""
    sk = skeletons.get(dataset)
    alias = KEYPOINT_SOURCES.get(dataset, {})
    offsets = KEYPOINT_OFFSETS.get(dataset, {})
    idx = [fig.names[alias.get(k, k)] for k in sk.keypoints]
    off = np.array([offsets.get(k, (0.0, 0.0)) for k in sk.keypoints], dtype=np.float64)
    return fig.to_image(fig.local[idx] + off)


DOMAIN_DATASETS: dict[str, tuple[str, ...]] = {
    "human": ("coco", "aic", "mpii", "coco_wholebody", "pw3d"),
    "animal": ("ap10k", "apt36k"),
    "hand": ("interhand2d",),
}


def all_dataset_keypoints(fig: Figure) -> dict[str, np.ndarray]:
    """Every dataset's keypoints defined on this figure's model, keyed by dataset name."""
    return {name: dataset_keypoints(fig, name) for name in DOMAIN_DATASETS[fig.domain]}


def build_figure(domain: str, rng: np.random.Generator) -> Figure:
    """A random figure of one domain ("human", "animal" or "hand"), in local units."""
    return {"human": build_human, "animal": build_animal, "hand": build_hand}[domain](rng)
