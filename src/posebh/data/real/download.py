"""Fetch public raw files over HTTP(S) and check the ones placed by hand.

``fetch`` streams into ``<dest>.part`` with ``requests``, resumes an earlier ``.part`` with a
``Range`` request (retrying a cut connection a few times), shows a tqdm progress bar, checks size
and checksum, then renames the file into place: nothing half-written ever sits at ``dest``.
``prepare`` makes every listed dataset's ``provides`` present (unpacking downloaded archives)
and, if anything is still missing, raises one message listing each missing path and where to
get it. No network access happens unless ``download=True``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import requests
import urllib3
from tqdm import tqdm

from posebh.data.errors import DataError
from posebh.data.real.manifest import RawFile, Source, default_manifest
from posebh.data.real.unpack import unpack

CHUNK = 1 << 20
DOWNLOADS = "downloads"  # per-dataset folder of fetched archives
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class _Interrupted(Exception):
    """A transfer stopped early; the ``.part`` file keeps what arrived."""


def _short(err: BaseException) -> str:
    text = str(err).splitlines()[0] if str(err) else ""
    return f"{type(err).__name__}: {text[:160]}" if text else type(err).__name__


def file_digest(path: Path, algo: str) -> str:
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algo)
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _total_from(resp: requests.Response, offset: int) -> int | None:
    """Full file size from Content-Range (206) or Content-Length (200)."""
    if resp.status_code == 206:
        total = resp.headers.get("Content-Range", "").rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = resp.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def _transfer(url: str, part: Path, size: int | None, timeout: float, session: requests.Session,
              progress: bool, dest: Path) -> None:
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset > size:
        part.unlink()
        offset = 0
    if size is not None and offset == size:
        return
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        resp = session.get(url, stream=True, timeout=timeout, headers=headers)
    except requests.RequestException as err:
        raise _Interrupted(_short(err)) from None
    with resp:
        if resp.status_code == 416 and offset:  # nothing left to send: the .part is complete
            total = resp.headers.get("Content-Range", "").rpartition("/")[2]
            if total.isdigit() and int(total) == offset:
                return
            part.unlink()
            raise _Interrupted("server refused to resume; restarting from zero")
        if resp.status_code in TRANSIENT_STATUS:
            raise _Interrupted(f"HTTP {resp.status_code} {resp.reason}")
        if resp.status_code not in (200, 206):
            raise DataError(dest, f"HTTP {resp.status_code} {resp.reason} for {url}")
        if resp.status_code == 200:
            offset = 0  # the server ignored Range (or nothing to resume): start over
        total = _total_from(resp, offset)
        if resp.status_code == 206:
            start = resp.headers.get("Content-Range", "bytes 0-").split()[-1].split("-")[0]
            if not start.isdigit() or int(start) != offset:
                part.unlink(missing_ok=True)
                raise _Interrupted("server resumed at the wrong offset; restarting from zero")
        got = offset
        bar = tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                   desc=dest.name, disable=not progress, leave=False)
        try:
            with part.open("ab" if offset else "wb") as f:
                # read1 hands over every byte that arrived, even when the connection drops
                while block := resp.raw.read1(CHUNK, decode_content=True):
                    f.write(block)
                    got += len(block)
                    bar.update(len(block))
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as err:
            raise _Interrupted(f"{_short(err)} after {got} of {total or '?'} bytes") from None
        finally:
            bar.close()
        if total is not None and got < total:
            raise _Interrupted(f"connection closed after {got} of {total} bytes")


def _verify(part: Path, dest: Path, size: int | None, md5: str | None, sha256: str | None) -> None:
    actual = part.stat().st_size
    if size is not None and actual != size:
        part.unlink()
        raise DataError(dest, f"size mismatch: got {actual} bytes, expected {size} (the download "
                              "was removed; run again to fetch it anew)")
    for algo, want in (("md5", md5), ("sha256", sha256)):
        if want is None:
            continue
        got = file_digest(part, algo)
        if got != want:
            part.unlink()
            raise DataError(dest, f"checksum mismatch: {algo} {got}, expected {want} (the "
                                  "download was removed; run again to fetch it anew)")


def fetch(url: str, dest: Path, size: int | None = None, md5: str | None = None,
          sha256: str | None = None, *, retries: int = 3, timeout: float = 60.0,
          backoff: float = 2.0, progress: bool = True,
          session: requests.Session | None = None) -> Path:
    """Download ``url`` to ``dest`` (resuming ``dest.part``), verify it, rename it into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    own = session is None
    session = session or requests.Session()
    try:
        for attempt in range(retries + 1):
            try:
                _transfer(url, part, size, timeout, session, progress, dest)
                break
            except _Interrupted as err:
                if attempt == retries:
                    have = part.stat().st_size if part.exists() else 0
                    raise DataError(dest, f"download interrupted ({err}); {have} bytes kept in "
                                          f"{part.name}, run again to resume") from None
                time.sleep(backoff * (attempt + 1))
    finally:
        if own:
            session.close()
    _verify(part, dest, size, md5, sha256)
    os.replace(part, dest)
    return dest


@dataclass(frozen=True)
class Missing:
    """A raw path that is still absent, and how to get it."""

    dataset: str
    path: str
    how: str


class MissingRawFiles(DataError):
    """Raw files are absent; the message lists each one and where to get it."""

    def __init__(self, raw_root: Path, missing: list[Missing]) -> None:
        self.missing = missing
        lines = [f"{len(missing)} raw file(s) missing; place them as listed "
                 "(docs/real-datasets.md), then run again:"]
        lines += [f"  {raw_root / m.dataset / m.path}  <- {m.how}" for m in missing]
        super().__init__(raw_root, "\n".join(lines))


def _how(f: RawFile, download: bool) -> str:
    if f.url and not download:
        return f"{f.url} (or set data.real.download: true to fetch it)"
    return f.url or f.get


def _ensure(f: RawFile, root: Path, download: bool, keep_archives: bool, progress: bool) -> None:
    if not f.missing(root):
        return
    if not f.is_archive:
        if f.url and download:
            fetch(f.url, root / f.provides[0], f.size, f.md5, f.sha256, progress=progress)
        return
    archive = root / DOWNLOADS / f.name
    if not archive.is_file() and f.url and download:
        fetch(f.url, archive, f.size, f.md5, f.sha256, progress=progress)
    if archive.is_file():
        try:
            unpack(archive, root, f.provides)
        except DataError:
            if f.url:  # a corrupt download: drop it so the next run fetches it again
                archive.unlink(missing_ok=True)
            raise
        if not keep_archives and not f.missing(root):
            archive.unlink()


def prepare(datasets: Iterable[str], raw_root: Path, download: bool = False,
            keep_archives: bool = False, manifest: dict[str, Source] | None = None,
            progress: bool = True) -> dict[str, list[str]]:
    """Make each dataset's raw files present under ``raw_root/<dataset>/``.

    Downloads (only with ``download``) and unpacks what it can, then raises one
    ``MissingRawFiles`` listing everything still absent. Returns dataset -> provided paths.
    """
    manifest = manifest if manifest is not None else default_manifest()
    missing: list[Missing] = []
    status: dict[str, list[str]] = {}
    for name in datasets:
        if name not in manifest:
            raise DataError(raw_root / name, f"no manifest entry for dataset {name!r}")
        root = raw_root / name
        for f in manifest[name].files:
            _ensure(f, root, download, keep_archives, progress)
            missing += [Missing(name, p, _how(f, download)) for p in f.missing(root)]
        status[name] = sorted(manifest[name].provides())
    if missing:
        raise MissingRawFiles(raw_root, missing)
    return status
