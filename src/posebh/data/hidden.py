"""Hidden ground truth of the synthetic benchmark: every source skeleton on every val image.

Each rendered figure carries every skeleton of its domain (``bodies.DOMAIN_DATASETS``), but a
published split annotates only its own dataset's. Replaying the renderer with the data pipeline's
RNG streams (``synthetic.scene_rng`` per image, ``synthetic.video_frames`` for the APT-36K clips,
then the same ``splits.split_apt36k``) gives the figure, its mask and its occluder again, and
``synthetic.annotation(target, ...)`` reads the target skeleton off it. Each result is a COCO
GT of the target skeleton over the source's val images: same image ids, file names, info, bbox
and area. With target == source it equals the published val split. Training never reads it.
"""

from __future__ import annotations

from posebh import skeletons
from posebh.data import bodies, splits, synthetic


def domain_targets(source: str, targets: tuple[str, ...] = skeletons.SOURCES) -> tuple[str, ...]:
    """The skeletons of ``targets`` defined on ``source``'s figures (same domain), in that order."""
    domain = bodies.DOMAIN_DATASETS[skeletons.get(source).domain]
    return tuple(t for t in targets if t in domain)


def hidden_split(source: str, n_images: int, seed: int, canvas: tuple[int, int],
                 image_root: str, targets: tuple[str, ...] = skeletons.SOURCES
                 ) -> dict[str, dict]:
    """{target: COCO dict} over the images of ``render_split(source, n_images, seed)``."""
    canvas = (int(canvas[0]), int(canvas[1]))
    names = domain_targets(source, targets)
    images, anns = [], {t: [] for t in names}  # type: ignore[var-annotated]
    for i in range(n_images):
        _, mask, rect, fig = synthetic.scene_layers(source, synthetic.scene_rng(source, seed, i),
                                                    canvas)
        images.append(synthetic.image_entry(source, i, canvas))
        for t in names:
            ann = synthetic.annotation(t, fig, mask, rect, canvas)
            anns[t].append({"id": i + 1, "image_id": i + 1, **ann, "iscrowd": 0})
    info = {**synthetic.info(source, seed), "image_root": image_root}
    return {t: {"info": dict(info), "images": [dict(x) for x in images], "annotations": anns[t],
                "categories": synthetic.categories(t)} for t in names}


def hidden_videos(source: str, n_videos: int, frames: int, seed: int, canvas: tuple[int, int],
                  rule: str, image_root: str, part: str = "val",
                  targets: tuple[str, ...] = skeletons.SOURCES) -> dict[str, dict]:
    """{target: COCO dict} over ``part`` of the video-level split of ``render_videos(source, ...)``."""
    canvas = (int(canvas[0]), int(canvas[1]))
    names = domain_targets(source, targets)
    images, anns = [], {t: [] for t in names}  # type: ignore[var-annotated]
    for frame in synthetic.video_frames(source, n_videos, frames, seed, canvas):
        images.append(frame.entry)
        for t in names:
            anns[t].append(synthetic.video_annotation(t, frame, canvas))
    out = {}
    for t in names:
        raw = {"info": synthetic.info(source, seed), "license": [], "images": images,
               "annotations": anns[t], "categories": synthetic.categories(t)}
        coco = splits.split_apt36k(raw, rule=rule, seed=seed)[part]
        coco["info"]["image_root"] = image_root
        out[t] = coco
    return out
