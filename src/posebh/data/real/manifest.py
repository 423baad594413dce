"""Load and check ``manifest.yaml``: per dataset, the raw files, their sources and checksums."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from posebh.data.errors import DataError

MANIFEST = Path(__file__).with_name("manifest.yaml")
ARCHIVE_SUFFIXES: tuple[str, ...] = (".zip", ".tar", ".tar.gz", ".tgz")
_HEX = {"md5": re.compile(r"^[0-9a-f]{32}$"), "sha256": re.compile(r"^[0-9a-f]{64}$")}
FILE_KEYS: tuple[str, ...] = ("name", "url", "size", "md5", "sha256", "provides", "get")


@dataclass(frozen=True)
class RawFile:
    """One published file and what it puts under ``data/01_raw/<dataset>/``."""

    name: str
    url: str | None
    size: int | None
    md5: str | None
    sha256: str | None
    provides: tuple[str, ...]
    get: str

    @property
    def is_archive(self) -> bool:
        """Whether the file is unpacked (an archive whose contents are the ``provides``)."""
        return self.name.lower().endswith(ARCHIVE_SUFFIXES) and self.provides != (self.name,)

    def missing(self, root: Path) -> list[str]:
        """The ``provides`` entries absent under ``root``."""
        return [p for p in self.provides if not (root / p).exists()]


@dataclass(frozen=True)
class Source:
    """Where one dataset comes from."""

    name: str
    homepage: str
    license: str
    files: tuple[RawFile, ...]

    def provides(self) -> tuple[str, ...]:
        return tuple(p for f in self.files for p in f.provides)


def _relative(path: str, where: str, src: Path) -> str:
    p = PurePosixPath(path)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise DataError(src, f"{where}: provides entry {path!r} must be a relative path inside "
                             "the dataset folder")
    return str(p)


def _file(entry: Any, where: str, src: Path) -> RawFile:
    if not isinstance(entry, dict):
        raise DataError(src, f"{where} is not a mapping")
    missing = [k for k in FILE_KEYS if k not in entry]
    if missing:
        raise DataError(src, f"{where}: missing key(s) {missing}")
    url = entry["url"]
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise DataError(src, f"{where}: url {url!r} is not an http(s) URL or null")
    size = entry["size"]
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size <= 0):
        raise DataError(src, f"{where}: size {size!r} is not a positive integer or null")
    for algo, pattern in _HEX.items():
        value = entry[algo]
        if value is not None and not (isinstance(value, str) and pattern.match(value)):
            raise DataError(src, f"{where}: {algo} {value!r} is not a lowercase hex digest or null")
    provides = entry["provides"]
    if not isinstance(provides, list) or not provides:
        raise DataError(src, f"{where}: provides must be a non-empty list")
    return RawFile(name=str(entry["name"]), url=url, size=size, md5=entry["md5"],
                   sha256=entry["sha256"],
                   provides=tuple(_relative(str(p), where, src) for p in provides),
                   get=str(entry["get"]))


def load_manifest(path: Path = MANIFEST) -> dict[str, Source]:
    """Parse and check a manifest; every problem is a ``DataError`` naming the file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise DataError(path, f"cannot read ({err.strerror})") from None
    except yaml.YAMLError as err:
        raise DataError(path, f"malformed YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("datasets"), dict):
        raise DataError(path, "expected a mapping with a 'datasets' mapping")
    out = {}
    for name, spec in raw["datasets"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("files"), list):
            raise DataError(path, f"datasets.{name}: needs a 'files' list")
        for key in ("homepage", "license"):
            if not isinstance(spec.get(key), str):
                raise DataError(path, f"datasets.{name}: missing text {key!r}")
        files = tuple(_file(f, f"datasets.{name}.files[{i}]", path)
                      for i, f in enumerate(spec["files"]))
        out[name] = Source(name=name, homepage=spec["homepage"], license=spec["license"],
                           files=files)
    return out


@cache
def default_manifest() -> dict[str, Source]:
    """The manifest shipped with the package."""
    return load_manifest(MANIFEST)
