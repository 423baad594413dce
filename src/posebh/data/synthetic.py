"""Deterministic rendered synthetic multi-skeleton benchmark (COCO-format annotations + PNGs).

Every dataset's keypoints are read off one shared underlying figure model per domain
(:mod:`posebh.data.bodies`) with dataset-specific placement offsets, and each dataset is drawn in
its own scene style (:mod:`posebh.data.render`). One annotated figure per image.

Determinism: image ``i`` of ``(dataset, seed)`` draws from
``np.random.default_rng([seed, crc32(dataset), 0, i])`` (video clip ``v``: ``[seed, code, 1, v]``);
no global RNG is touched, and PNGs are written with fixed settings, so the same arguments give
byte-identical images and JSON.

Visibility: v=2 visible, v=1 inside the image but under the solid occluder rectangle, v=0 outside
the image (then x = y = 0). ``num_keypoints`` = count(v > 0) of ``keypoints``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from tqdm import tqdm

from posebh import skeletons
from posebh.data import bodies, figure, render
from posebh.data.bodies import Figure

WHOLEBODY_PARTS: tuple[tuple[str, int, int], ...] = (  # field, start, count (skeleton order)
    ("keypoints", 0, 17), ("foot_kpts", 17, 6), ("face_kpts", 23, 68),
    ("lefthand_kpts", 91, 21), ("righthand_kpts", 112, 21),
)
_PART_BOX = {"face_kpts": "face", "lefthand_kpts": "lefthand", "righthand_kpts": "righthand"}
_PNG = {"optimize": False, "compress_level": 1}


def dataset_code(dataset: str) -> int:
    """Stable integer id of a dataset name (seeds the per-dataset RNG streams)."""
    return zlib.crc32(dataset.encode("utf-8"))


def _domain(dataset: str) -> str:
    return skeletons.get(dataset).domain


def categories(dataset: str) -> list[dict]:
    """COCO ``categories``: one per species for animals (ids 1..6, fixed), else one."""
    sk = skeletons.get(dataset)
    names, edges = list(sk.keypoints), sk.edges
    if dataset == "coco_wholebody":  # as the real file: the category lists the 17 body points
        names, edges = names[:17], [e for e in edges if max(e) < 17]
    skel = [[a + 1, b + 1] for a, b in edges]
    if sk.domain == "animal":
        return [{"id": i + 1, "name": sp, "supercategory": "animal", "keypoints": names,
                 "skeleton": skel} for i, sp in enumerate(bodies.SPECIES_NAMES)]
    name = "hand" if sk.domain == "hand" else "person"
    return [{"id": 1, "name": name, "supercategory": name, "keypoints": names, "skeleton": skel}]


def _category_id(fig: Figure) -> int:
    return bodies.SPECIES_NAMES.index(fig.species) + 1 if fig.domain == "animal" else 1


def wholebody_keypoints(ann: dict) -> list[float]:
    """COCO-WholeBody annotation -> the 133*3 list (body, foot, face, left hand, right hand)."""
    out: list[float] = []
    for f, _, n in WHOLEBODY_PARTS:
        part = list(ann.get(f, [0.0] * (3 * n)))
        if len(part) != 3 * n:
            raise ValueError(f"{f} has {len(part)} values, expected {3 * n}")
        out.extend(part)
    return out


# ----------------------------------------------------------------------------- scene

def _visibility(kps: np.ndarray, canvas: tuple[int, int], rect) -> np.ndarray:
    W, H = canvas
    inside = (kps[:, 0] >= 0) & (kps[:, 0] <= W - 1) & (kps[:, 1] >= 0) & (kps[:, 1] <= H - 1)
    v = np.where(inside, 2, 0)
    if rect is not None:
        x0, y0, x1, y1 = rect
        under = inside & (kps[:, 0] >= x0) & (kps[:, 0] <= x1) & (kps[:, 1] >= y0) & (kps[:, 1] <= y1)
        v[under] = 1
    return v


def _triplets(kps: np.ndarray, v: np.ndarray) -> list[float]:
    out: list[float] = []
    for (x, y), vis in zip(kps, v):
        out += [round(float(x), 2), round(float(y), 2), int(vis)] if vis > 0 else [0.0, 0.0, 0]
    return out


def _box(pts: np.ndarray, canvas: tuple[int, int], pad: float = 0.0) -> list[float]:
    W, H = canvas
    lo, hi = pts.min(0), pts.max(0)
    m = pad * (hi - lo)
    x0, y0 = np.clip(lo - m, 0, [W, H])
    x1, y1 = np.clip(hi + m, 0, [W, H])
    return [round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2),
            round(float(y1 - y0), 2)]


def annotation(dataset: str, fig: Figure, mask: Image.Image, rect, canvas) -> dict:
    """COCO annotation fields (no ids) for ``fig`` as ``dataset`` annotates it."""
    kps = bodies.dataset_keypoints(fig, dataset)
    v = _visibility(kps, canvas, rect)
    bb = mask.getbbox()
    if bb is None:  # figure entirely off-canvas (not produced by the samplers; kept safe)
        bbox, area = [0.0, 0.0, 1.0, 1.0], 1.0
    else:
        bbox = [float(bb[0]), float(bb[1]), float(bb[2] - bb[0]), float(bb[3] - bb[1])]
        area = float(sum(mask.histogram()[1:]))
    ann: dict = {"category_id": _category_id(fig)}
    if dataset == "coco_wholebody":
        for f, a, n in WHOLEBODY_PARTS:
            ann[f] = _triplets(kps[a:a + n], v[a:a + n])
            if f == "keypoints":
                continue
            valid = bool((v[a:a + n] > 0).any())
            ann[f.split("_")[0] + "_valid"] = valid
            if f in _PART_BOX:
                sel = kps[a:a + n][v[a:a + n] > 0]
                ann[_PART_BOX[f] + "_box"] = _box(sel, canvas, 0.1) if valid else [0.0] * 4
        ann["num_keypoints"] = int((v[:17] > 0).sum())
    else:
        ann["keypoints"] = _triplets(kps, v)
        ann["num_keypoints"] = int((v > 0).sum())
    ann["bbox"] = bbox
    ann["area"] = area
    if fig.domain == "human":
        ann["head_bbox"] = _box(fig.to_image(fig.extras["head_poly"]), canvas)
    return ann


def _sample_figure(dataset: str, rng: np.random.Generator, canvas, style: dict) -> Figure:
    fig = bodies.build_figure(_domain(dataset), rng)
    fill = rng.uniform(*style["fill"])
    rot = rng.uniform(-style["rotation"], style["rotation"])
    shift = rng.uniform(-style["shift"], style["shift"], 2) * np.asarray(canvas)
    return figure.place(fig, canvas, fill, rot, (shift[0], shift[1]))


def _compose(fig: Figure, col: dict, bg: Image.Image, canvas,
             occluder: tuple | None) -> tuple[Image.Image, Image.Image]:
    """Paste the figure over ``bg`` and draw the ``(rect, colour)`` occluder if any."""
    layer = Image.new("RGBA", canvas, (0, 0, 0, 0))
    render.draw_figure(layer, fig, col)
    mask = layer.getchannel("A")
    img = bg.copy()
    img.paste(layer, (0, 0), mask)
    if occluder is not None:
        ImageDraw.Draw(img).rectangle(occluder[0], fill=occluder[1])
    return img, mask


def _maybe_occluder(dataset: str, fig: Figure, rng: np.random.Generator, canvas) -> tuple | None:
    style = render.DOMAIN_STYLES[dataset]
    if rng.random() >= style["occlusion"]:
        return None
    kps = bodies.dataset_keypoints(fig, dataset)
    return render.sample_occluder(rng, kps, _visibility(kps, canvas, None) > 0, style["palette"])


def scene_layers(dataset: str, rng: np.random.Generator, canvas: tuple[int, int] = (160, 160)
                 ) -> tuple[Image.Image, Image.Image, tuple | None, Figure]:
    """One scene of ``dataset``: (RGB image, figure alpha mask, occluder rect or None, figure).

    ``annotation(target, fig, mask, rect, canvas)`` reads any skeleton of the figure's domain.
    """
    style = render.DOMAIN_STYLES[dataset]
    bg = render.background(style, rng, canvas)
    fig = _sample_figure(dataset, rng, canvas, style)
    col = render.figure_colours(fig, rng)
    like = [col["body"], col["skin"], col.get("arm_L"), col.get("leg_R")]
    render.draw_clutter(ImageDraw.Draw(bg), style, rng, canvas, [c for c in like if c])
    occ = _maybe_occluder(dataset, fig, rng, canvas)
    img, mask = _compose(fig, col, bg, canvas, occ)
    return img, mask, occ and occ[0], fig


def render_scene(dataset: str, rng: np.random.Generator,
                 canvas: tuple[int, int] = (160, 160)) -> tuple[Image.Image, dict, Figure]:
    """One scene of ``dataset``: (RGB image, annotation fields without ids, the figure)."""
    img, mask, rect, fig = scene_layers(dataset, rng, canvas)
    return img, annotation(dataset, fig, mask, rect, canvas), fig


def scene_rng(dataset: str, seed: int, i: int) -> np.random.Generator:
    """The RNG stream of image ``i`` (0-based) of ``render_split(dataset, ..., seed)``."""
    return np.random.default_rng([seed, dataset_code(dataset), 0, i])


def info(dataset: str, seed: int) -> dict:
    return {"dataset": dataset, "description": "posebh synthetic", "seed": int(seed)}


def image_entry(dataset: str, i: int, canvas: tuple[int, int]) -> dict:
    """COCO ``images`` entry of image ``i`` (0-based) of ``render_split``; its id is ``i + 1``."""
    return {"id": i + 1, "file_name": f"{dataset}_{i + 1:06d}.png", "width": canvas[0],
            "height": canvas[1]}


def render_split(dataset: str, n_images: int, seed: int, image_dir: Path,
                 canvas: tuple[int, int] = (160, 160)) -> dict:
    """Render n_images scenes of `dataset`'s domain into image_dir; return a COCO keypoint dict.

    ``file_name`` is relative to ``image_dir`` (``<dataset>_<id:06d>.png``); ids start at 1.
    """
    image_dir = Path(image_dir)
    image_dir.mkdir(parents=True, exist_ok=True)
    canvas = (int(canvas[0]), int(canvas[1]))
    images, anns = [], []
    for i in tqdm(range(n_images), desc=f"render {dataset}", leave=False, disable=None,
                  mininterval=2.0):  # a bar on a terminal only
        img, ann, _ = render_scene(dataset, scene_rng(dataset, seed, i), canvas)
        entry = image_entry(dataset, i, canvas)
        img.save(image_dir / entry["file_name"], **_PNG)
        images.append(entry)
        anns.append({"id": i + 1, "image_id": i + 1, **ann, "iscrowd": 0})
    return {"info": info(dataset, seed), "images": images, "annotations": anns,
            "categories": categories(dataset)}


# ----------------------------------------------------------------------------- videos

def _clip_poses(rng: np.random.Generator, frames: int) -> list[dict]:
    """Smoothly evolving quadruped poses: a walking gait around a random base pose."""
    base = bodies.sample_animal_pose(rng)
    omega = rng.uniform(0.35, 0.7)  # rad / frame
    phase = {"LF": 0.0, "RB": 0.0, "RF": np.pi, "LB": np.pi}  # trot
    amp = rng.uniform(8, 20)
    drift = {k: rng.uniform(-1.0, 1.0) for k in ("neck", "head", "tail")}
    poses = []
    for f in range(frames):
        p = {k: base[k] + drift[k] * f for k in ("neck", "head", "tail")}
        for leg, ph in phase.items():
            s = np.sin(omega * f + ph)
            p[leg] = (base[leg][0] + amp * s, base[leg][1] + amp * s - 0.5 * amp * max(0.0, s))
        poses.append(p)
    return poses


@dataclass(frozen=True)
class VideoFrame:
    """One rendered frame of ``video_frames``: its raw-format image entry and its layers."""

    entry: dict  # raw APT-36K image entry (id, file_name, width, height, video_id, frame_id)
    folder: tuple[str, str]  # (species, clip) folder of the PNG
    image: Image.Image
    mask: Image.Image  # the figure's alpha
    rect: tuple | None  # occluder rectangle
    figure: Figure


def video_frames(dataset: str, n_videos: int, frames: int, seed: int,
                 canvas: tuple[int, int] = (160, 160)) -> Iterator[VideoFrame]:
    """The frames of ``render_videos`` in order, rendered in memory (nothing written)."""
    canvas = (int(canvas[0]), int(canvas[1]))
    W, H = canvas
    code = dataset_code(dataset)
    style = render.DOMAIN_STYLES[dataset]
    image_id = 0
    start = int(np.random.default_rng([seed, code, 2]).integers(len(bodies.SPECIES_NAMES)))
    for v in range(1, n_videos + 1):
        rng = np.random.default_rng([seed, code, 1, v])
        species = bodies.SPECIES_NAMES[(start + v - 1) % len(bodies.SPECIES_NAMES)]
        facing = int(rng.choice([-1, 1]))
        poses = _clip_poses(rng, frames)
        bg = render.background(style, rng, canvas)
        fill = rng.uniform(*style["fill"])
        rot0, drot = rng.uniform(-style["rotation"], style["rotation"]), rng.uniform(-0.4, 0.4)
        shift0 = rng.uniform(-style["shift"], style["shift"], 2) * np.asarray(canvas)
        speed = facing * rng.uniform(0.3, 1.5) * W / 160.0  # px / frame along the facing direction
        first = figure.place(bodies.build_animal(rng, species, poses[0], facing), canvas, fill,
                              rot0, (shift0[0], shift0[1]))
        scale = first.scale
        col = render.figure_colours(first, rng)
        render.draw_clutter(ImageDraw.Draw(bg), style, rng, canvas, [col["body"]])
        occ = _maybe_occluder(dataset, first, rng, canvas)  # fixed in the scene for the clip
        clip = f"clip_{v:04d}"
        for f, pose in enumerate(poses):
            fig = bodies.build_animal(rng, species, pose, facing)
            rot = rot0 + drot * f
            fig.A = scale * figure.rotation_matrix(rot) @ np.diag([float(facing), 1.0])
            anchor = first.t + np.array([speed * f, 0.0])
            fig.t = anchor
            img, mask = _compose(fig, col, bg, canvas, occ)
            image_id += 1
            entry = {"id": image_id, "file_name": f"{dataset}\\{species}\\{clip}\\{f:04d}.png",
                     "width": W, "height": H, "video_id": v, "frame_id": f}
            yield VideoFrame(entry, (species, clip), img, mask, occ and occ[0], fig)


def video_annotation(dataset: str, frame: VideoFrame, canvas: tuple[int, int]) -> dict:
    """The raw APT-36K-format annotation of ``frame`` as ``dataset`` annotates its figure."""
    ann = annotation(dataset, frame.figure, frame.mask, frame.rect, canvas)
    ann.pop("head_bbox", None)
    image_id = frame.entry["id"]
    return {"id": image_id, "image_id": image_id, "video_id": frame.entry["video_id"],
            "track_id": 0, **ann, "is_crowd": 0}


def render_videos(dataset: str, n_videos: int, frames: int, seed: int, image_dir: Path,
                  canvas: tuple[int, int] = (160, 160)) -> dict:
    """APT-36K analogue: clips of `frames` frames of smooth motion; returns the RAW APT-36K-format dict.

    Clip ``v`` (1-based video id) shows one animal of one species (species cycle through the
    table) walking across a fixed background, optionally behind a fixed occluder. Images are
    written to ``image_dir/<species>/clip_<v:04d>/<frame:04d>.png`` (frames 0-based); their
    ``file_name`` is the Windows-style ``<dataset>\\<species>\\clip_<v:04d>\\<frame:04d>.png``.
    """
    image_dir = Path(image_dir)
    canvas = (int(canvas[0]), int(canvas[1]))
    images, anns = [], []
    for frame in tqdm(video_frames(dataset, n_videos, frames, seed, canvas), total=n_videos * frames,
                      desc=f"render {dataset}", leave=False, disable=None, mininterval=2.0):
        folder = image_dir.joinpath(*frame.folder)
        folder.mkdir(parents=True, exist_ok=True)
        frame.image.save(folder / f"{frame.entry['frame_id']:04d}.png", **_PNG)
        images.append(frame.entry)
        anns.append(video_annotation(dataset, frame, canvas))
    return {"info": info(dataset, seed), "license": [], "images": images, "annotations": anns,
            "categories": categories(dataset)}
