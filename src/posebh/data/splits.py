"""APT-36K 7:1:2 video-level split (one implementation for the real file and the embedded analogue).

``official`` ports PoseBH's ``tools/dataset/prepro_apt36k.py`` rule: per species (third-from-last
component of the Windows-style ``file_name``), the video ids are listed once per *image* in file
order (duplicates kept, no shuffling), cut at int((n+1)*0.7) and int((n+1)*0.8); an image goes to
train if its video is in the train list, else val, else test (so no video is split).
``video-random`` shuffles each species' distinct videos with a seeded RNG and cuts them 7:1:2.

As the released script: ``file_name`` becomes ``<species>/<clip>/<frame>`` with five clip-folder
names rewritten (``FOLDER_FIXES``: the annotation's spelling -> the folder name the authors'
extracted archive has), ``is_crowd`` becomes ``iscrowd``, categories are sorted by id, and an
annotation goes to the split of its own ``video_id`` (an annotation whose image lands in another
split is an error here; the script would silently orphan it). Unlike the script the ``license``
list is not copied. Outputs are named ``apt36k_{train,val,test}.json`` (``OUTPUT_NAMES``).
"""

from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np

SPLITS = ("train", "val", "test")
RATIOS = (0.7, 0.8)  # cumulative cut points
OUTPUT_NAMES: dict[str, str] = {s: f"apt36k_{s}.json" for s in SPLITS}
# Clip folders whose name in apt36k_annotations.json differs from the extracted folder
# (character-encoding damage), as hard-coded in PoseBH's tools/dataset/prepro_apt36k.py.
FOLDER_FIXES: dict[str, str] = {
    "clip46\u221a": "clip46\u0431\u2560",
    "video11_clip6_1m44s-1m46s_frame\u256c\u2569\u2560\u0393":
        "video11_clip6_1m44s-1m46s_frame\u0438p\u0438m\u0438d\u0436\u0433",
    "video20_clip5_1m44s-1m46s_frame\u256c\u2569\u2560\u0393":
        "video20_clip5_1m44s-1m46s_frame\u0438p\u0438m\u0438d\u0436\u0433",
    "video2_clip3_0m55s-0m57s_frame\u256c\u2569\u2560\u0393":
        "video2_clip3_0m55s-0m57s_frame\u0438p\u0438m\u0438d\u0436\u0433",
    "v2c21\u592a\u591a": "v2c21\u2560\u043b\u2562\u0440",
}


class SplitError(ValueError):
    """Raised when a raw APT-36K file cannot be split (missing fields, empty split, leakage)."""


def species_of(file_name: str) -> str:
    """Species folder of a raw APT-36K path: the third-from-last backslash-separated component."""
    parts = file_name.replace("/", "\\").split("\\")
    if len(parts) < 3:
        raise SplitError(f"file_name {file_name!r} has no <species>\\<clip>\\<frame> structure")
    return parts[-3]


def normalise_path(file_name: str) -> str:
    """``...\\<species>\\<clip>\\<frame>`` -> ``<species>/<clip>/<frame>`` (+ ``FOLDER_FIXES``)."""
    parts = file_name.replace("/", "\\").split("\\")[-3:]
    if len(parts) == 3:
        parts[1] = FOLDER_FIXES.get(parts[1], parts[1])
    return "/".join(parts)


def _official_assignment(images: list[dict]) -> dict[int, str]:
    per_species: dict[str, list[int]] = defaultdict(list)
    for img in images:
        per_species[species_of(img["file_name"])].append(img["video_id"])
    video_split: dict[int, str] = {}
    for vids in per_species.values():
        n = len(vids)
        a, b = int((n + 1) * RATIOS[0]), int((n + 1) * RATIOS[1])
        for name, chunk in (("test", vids[b:]), ("val", vids[a:b]), ("train", vids[:a])):
            for v in chunk:  # written test -> val -> train so that train > val > test wins
                video_split[v] = name
    return video_split


def _random_assignment(images: list[dict], seed: int) -> dict[int, str]:
    per_species: dict[str, list[int]] = defaultdict(list)
    for img in images:
        vids = per_species[species_of(img["file_name"])]
        if img["video_id"] not in vids:
            vids.append(img["video_id"])
    rng = np.random.default_rng(seed)
    video_split: dict[int, str] = {}
    for species in sorted(per_species):
        vids = sorted(per_species[species])
        order = [vids[i] for i in rng.permutation(len(vids))]
        n = len(order)
        a, b = round(n * RATIOS[0]), round(n * RATIOS[1])
        for i, v in enumerate(order):
            video_split[v] = "train" if i < a else "val" if i < b else "test"
    return video_split


def _is_id(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, str)) and value != ""


def _check_raw(raw: object) -> None:
    """The fields the split reads: ids and video ids (int or str), unique image ids, str paths."""
    if not isinstance(raw, dict):
        raise SplitError(f"raw APT-36K annotations must be a JSON object, got {type(raw).__name__}")
    for key in ("images", "annotations", "categories"):
        if not isinstance(raw.get(key), list):
            raise SplitError(f"raw APT-36K annotations have no {key!r} list")
    seen: set = set()
    for i, img in enumerate(raw["images"]):
        if not isinstance(img, dict):
            raise SplitError(f"images[{i}] is not an object")
        for key in ("id", "video_id", "file_name"):
            if key not in img:
                raise SplitError(f"image {img.get('id')!r} lacks key {key!r}")
        for key in ("id", "video_id"):
            if not _is_id(img[key]):
                raise SplitError(f"images[{i}] (id {img['id']!r}): {key} {img[key]!r} is not an "
                                 "integer or string id")
        if not isinstance(img["file_name"], str):
            raise SplitError(f"images[{i}] (id {img['id']!r}): file_name {img['file_name']!r} is "
                             "not a string")
        if img["id"] in seen:
            raise SplitError(f"images[{i}]: image id {img['id']!r} appears twice")
        seen.add(img["id"])
    for i, ann in enumerate(raw["annotations"]):
        if not isinstance(ann, dict):
            raise SplitError(f"annotations[{i}] is not an object")
        if "image_id" not in ann:
            raise SplitError(f"annotation {ann.get('id')!r} lacks key 'image_id'")
        for key in ("image_id", "video_id"):
            if key in ann and not _is_id(ann[key]):
                raise SplitError(f"annotations[{i}] (id {ann.get('id')!r}): {key} {ann[key]!r} is "
                                 "not an integer or string id")
    for i, cat in enumerate(raw["categories"]):
        if not isinstance(cat, dict) or not _is_id(cat.get("id")):
            raise SplitError(f"categories[{i}]: id missing or not an integer or string")


def _crowd_flag(value: object) -> object:
    """``is_crowd``/``iscrowd`` as an int when it is an integral number, else unchanged (the
    validator then names the bad value)."""
    if isinstance(value, (bool, int, float)) and float(value).is_integer():
        return int(value)
    return value


def split_apt36k(raw: dict, rule: str = "official", seed: int = 0) -> dict[str, dict]:
    """Split a raw APT-36K dict into {'train','val','test'} COCO dicts (iscrowd, normalised paths)."""
    _check_raw(raw)
    images = raw["images"]
    if rule == "official":
        video_split = _official_assignment(images)
    elif rule == "video-random":
        video_split = _random_assignment(images, seed)
    else:
        raise SplitError(f"unknown split rule {rule!r} (official | video-random)")

    categories = sorted(raw["categories"], key=lambda c: (isinstance(c["id"], str), c["id"]))
    out = {s: {"info": copy.deepcopy(raw.get("info", {})), "images": [], "annotations": [],
               "categories": copy.deepcopy(categories)} for s in SPLITS}
    image_split = {}
    for img in images:
        split = video_split[img["video_id"]]
        image_split[img["id"]] = split
        new = dict(img, file_name=normalise_path(img["file_name"]))
        out[split]["images"].append(new)
    for ann in raw["annotations"]:
        if ann["image_id"] not in image_split:
            raise SplitError(f"annotation {ann.get('id')} refers to unknown image {ann['image_id']}")
        split = image_split[ann["image_id"]]
        if "video_id" in ann and video_split.get(ann["video_id"], "test") != split:
            raise SplitError(f"annotation {ann.get('id')} has video_id {ann['video_id']} but its "
                             f"image {ann['image_id']} is in {split} (video {split!r} mismatch)")
        new = {k: v for k, v in ann.items() if k != "is_crowd"}
        new["iscrowd"] = _crowd_flag(ann.get("is_crowd", ann.get("iscrowd", 0)))
        out[split]["annotations"].append(new)
    check_no_leakage(out)
    for s in SPLITS:
        if not out[s]["images"]:
            raise SplitError(f"split {s!r} is empty ({len(images)} images in total)")
    return out


def check_no_leakage(splits: dict[str, dict]) -> None:
    """Raise if any video id appears in two splits."""
    seen: dict[int, str] = {}
    for s, d in splits.items():
        for img in d["images"]:
            other = seen.setdefault(img["video_id"], s)
            if other != s:
                raise SplitError(f"video {img['video_id']} is in both {other} and {s}")


def summary(splits: dict[str, dict]) -> dict[str, dict[str, int]]:
    """Per split: videos, images, instances, species."""
    return {
        s: {
            "videos": len({i["video_id"] for i in d["images"]}),
            "images": len(d["images"]),
            "instances": len(d["annotations"]),
            "species": len({i["file_name"].split("/")[0] for i in d["images"]}),
        }
        for s, d in splits.items()
    }
