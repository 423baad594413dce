"""Which converter reads which dataset (a table), and one call that converts a split.

``files`` maps the converter's roles (``annotations``, ``images``, ``detections``, ``head_boxes``,
``camera``, ``joints``) to paths relative to the raw root (``data/01_raw``), as listed per
dataset and split in ``conf/paper/parameters_data.yml`` (``data.real.files``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType

from posebh.data.errors import DataError
from posebh.data.real import (
    convert_aic,
    convert_ap10k,
    convert_coco,
    convert_interhand,
    convert_mpii,
    convert_ochuman,
    convert_pw3d,
    convert_wholebody,
)
from posebh.data.real.files import check_images

# Dataset -> converter module (APT-36K, one raw file split three ways, is convert_apt36k).
CONVERTERS: dict[str, ModuleType] = {
    "coco": convert_coco,
    "aic": convert_aic,
    "mpii": convert_mpii,
    "ap10k": convert_ap10k,
    "coco_wholebody": convert_wholebody,
    "interhand2d": convert_interhand,
    "pw3d": convert_pw3d,
    "ochuman": convert_ochuman,
}


def resolve(files: Mapping[str, str], raw_root: Path, required: tuple[str, ...],
            optional: tuple[str, ...], where: str) -> dict[str, Path]:
    """Role -> absolute path; unknown or missing roles are a ``DataError`` naming ``where``."""
    unknown = set(files) - set(required) - set(optional)
    if unknown:
        raise DataError(where, f"unknown file role(s) {sorted(unknown)}; allowed: "
                               f"{list(required + optional)}")
    missing = [r for r in required if not files.get(r)]
    if missing:
        raise DataError(where, f"no path given for role(s) {missing}")
    return {role: raw_root / rel for role, rel in files.items() if rel}


def convert_split(dataset: str, files: Mapping[str, str], raw_root: Path,
                  verify_images: bool = True, where: str | None = None) -> dict:
    """Convert one split of ``dataset``; with ``verify_images`` every listed image must exist.

    ``where`` names the file table in errors (default ``data.real.files.<dataset>``).
    """
    where = where or f"data.real.files.{dataset}"
    module = CONVERTERS.get(dataset)
    if module is None:
        raise DataError(where, f"no converter for dataset {dataset!r}; known: {sorted(CONVERTERS)} "
                               "(APT-36K is split by convert_apt36k)")
    paths = resolve(files, raw_root, module.REQUIRED, module.OPTIONAL, where)
    convert: Callable[..., dict] = module.convert
    out = convert(paths, dataset)
    if verify_images:
        check_images(out, paths["images"], paths["annotations"])
    return out
