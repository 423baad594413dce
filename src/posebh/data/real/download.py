"""Fetch public raw files over HTTP(S) and check the ones placed by hand.

``fetch`` streams into ``<dest>.part`` with ``requests``, resumes an earlier ``.part`` with a
``Range`` request (retrying a cut connection a few times), shows a tqdm progress bar, checks size
and checksum, then renames the file into place: nothing half-written ever sits at ``dest``.

Integrity without a published size: a body is complete only as the HTTP client confirms it (the
Content-Length or the terminating chunk arrived; the client raises on a short body); a body that
simply ended with the connection is confirmed by a range request for what follows (416 = the
end), or accepted with a warning where the server takes no ranges. A ``.part`` is resumed only
with ``If-Range`` carrying the ETag / Last-Modified saved beside it (``<dest>.part.json``), so
a file that changed upstream restarts from zero instead of splicing old and new bytes.

``prepare`` makes every listed dataset's ``provides`` present (unpacking downloaded archives)
and, if anything is still missing, raises one message listing each missing path and where to
get it. Files without a published checksum are announced with a warning; the sha256 of every
download is recorded in ``<dataset>/downloads/checksums.json`` (and the status of
``fetch_raw``), and a later download that differs is reported. No network access happens unless
``download=True``.
"""

from __future__ import annotations

import hashlib
import json
import logging
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
from posebh.io import atomic_write, fsync_dir

log = logging.getLogger(__name__)
CHUNK = 1 << 20
MAX_PROBES = 3  # range requests confirming the end of a body that came without a length
DOWNLOADS = "downloads"  # per-dataset folder of fetched archives
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class _Interrupted(Exception):
    """A transfer stopped early; the ``.part`` file keeps what arrived."""


def _short(err: BaseException) -> str:
    text = str(err).splitlines()[0] if str(err) else ""
    return f"{type(err).__name__}: {text[:160]}" if text else type(err).__name__


def file_digests(path: Path, algos: tuple[str, ...]) -> dict[str, str]:
    """Hex digests of a file, read once in chunks."""
    hs = {a: hashlib.new(a) for a in algos}
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            for h in hs.values():
                h.update(block)
    return {a: h.hexdigest() for a, h in hs.items()}


def file_digest(path: Path, algo: str) -> str:
    """Hex digest of a file, read in chunks."""
    return file_digests(path, (algo,))[algo]


def _total_from(resp: requests.Response, offset: int) -> int | None:
    """Full file size from Content-Range (206) or Content-Length (200)."""
    if resp.status_code == 206:
        total = resp.headers.get("Content-Range", "").rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = resp.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def _sidecar(part: Path) -> Path:
    """``<dest>.part.json``: URL, ETag and Last-Modified of the file the ``.part`` begins."""
    return part.with_name(part.name + ".json")


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)
    _sidecar(part).unlink(missing_ok=True)


def _validators(resp: requests.Response) -> dict[str, str | None]:
    etag = resp.headers.get("ETag")
    return {"etag": etag if etag and not etag.startswith("W/") else None,  # If-Range: strong only
            "last_modified": resp.headers.get("Last-Modified")}


def _saved(part: Path, url: str) -> dict[str, str | None]:
    """The validators saved beside ``part`` for ``url``; empty when absent, unreadable or stale."""
    try:
        meta = json.loads(_sidecar(part).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(meta, dict) or meta.get("url") != url:
        return {}
    return {k: v for k in ("etag", "last_modified") if isinstance(v := meta.get(k), str) and v}


def _changed(saved: dict[str, str | None], resp: requests.Response) -> bool:
    now = _validators(resp)
    return any(saved.get(k) and now[k] and saved[k] != now[k] for k in ("etag", "last_modified"))


def _transfer(url: str, part: Path, size: int | None, timeout: float, session: requests.Session,
              progress: bool, dest: Path) -> str:
    """One request appending to ``part``: ``"done"`` when the whole file is there; ``"probe"``
    when the server gave no length (the body ended when it closed the connection) but takes
    ranges, so asking for what follows can confirm the end; ``"unconfirmed"`` when it cannot.

    A ``.part`` is resumed only with ``If-Range`` carrying the ETag (else Last-Modified) saved
    beside it: a server whose file changed answers 200 and the transfer restarts from zero.
    """
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset > size:
        _discard(part)
        offset = 0
    if size is not None and offset == size:
        return "done"
    saved = _saved(part, url) if offset else {}
    if_range = saved.get("etag") or saved.get("last_modified")
    if offset and not if_range:  # nothing tells that the upstream file is still the same
        log.info("%s: no ETag/Last-Modified saved for %s; restarting from zero", dest, part.name)
        _discard(part)
        offset = 0
    headers = {"Accept-Encoding": "identity"}  # the bytes on disk are the bytes Range counts
    if offset:
        headers.update({"Range": f"bytes={offset}-", "If-Range": if_range})
    try:
        resp = session.get(url, stream=True, timeout=timeout, headers=headers)
    except requests.RequestException as err:
        raise _Interrupted(_short(err)) from None
    with resp:
        if resp.status_code == 416 and offset:  # nothing left to send: the .part is complete
            total = resp.headers.get("Content-Range", "").rpartition("/")[2]
            if total.isdigit() and int(total) == offset:
                return "done"
            _discard(part)
            raise _Interrupted("server refused to resume; restarting from zero")
        if resp.status_code in TRANSIENT_STATUS:
            raise _Interrupted(f"HTTP {resp.status_code} {resp.reason}")
        if resp.status_code not in (200, 206):
            raise DataError(dest, f"HTTP {resp.status_code} {resp.reason} for {url}")
        if resp.status_code == 200:
            if offset:
                log.info("%s: the server sent the whole file (changed upstream or no ranges); "
                         "restarting from zero", dest)
            offset = 0
        else:
            start = resp.headers.get("Content-Range", "bytes 0-").split()[-1].split("-")[0]
            if not start.isdigit() or int(start) != offset:
                _discard(part)
                raise _Interrupted("server resumed at the wrong offset; restarting from zero")
            if offset and _changed(saved, resp):  # a server that ignored If-Range
                _discard(part)
                raise _Interrupted("the file changed upstream since the .part was started; "
                                   "restarting from zero")
        if not offset:
            _sidecar(part).unlink(missing_ok=True)
            part.unlink(missing_ok=True)
            atomic_write(_sidecar(part), json.dumps({"url": url, **_validators(resp)}).encode())
        total = _total_from(resp, offset)
        total = total if total is not None else size
        got = offset
        bar = tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                   desc=dest.name, disable=not progress, leave=False)
        try:
            with part.open("ab" if offset else "wb") as f:
                # read1 hands over every byte that arrived, even when the connection drops; the
                # client raises when a Content-Length body or a chunked body ends early
                while block := resp.raw.read1(CHUNK, decode_content=False):
                    f.write(block)
                    got += len(block)
                    bar.update(len(block))
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as err:
            raise _Interrupted(f"{_short(err)} after {got} of {total or '?'} bytes") from None
        finally:
            bar.close()
        if total is not None:
            if got < total:
                raise _Interrupted(f"connection closed after {got} of {total} bytes")
            return "done"
        if "chunked" in resp.headers.get("Transfer-Encoding", "").lower():
            return "done"  # the terminating chunk arrived (else the client raised above)
        v = _validators(resp)
        if resp.headers.get("Accept-Ranges", "").lower() == "bytes" and any(v.values()):
            return "probe"
        return "unconfirmed"


def _verify(part: Path, dest: Path, size: int | None, md5: str | None,
            sha256: str | None) -> str:
    """Check size and checksums of ``part`` (removing it on a mismatch); its sha256."""
    actual = part.stat().st_size
    if size is not None and actual != size:
        _discard(part)
        raise DataError(dest, f"size mismatch: got {actual} bytes, expected {size} (the download "
                              "was removed; run again to fetch it anew)")
    digests = file_digests(part, ("md5", "sha256") if md5 else ("sha256",))
    for algo, want in (("md5", md5), ("sha256", sha256)):
        if want is not None and digests[algo] != want:
            _discard(part)
            raise DataError(dest, f"checksum mismatch: {algo} {digests[algo]}, expected {want} "
                                  "(the download was removed; run again to fetch it anew)")
    return digests["sha256"]


def fetch_with_digest(url: str, dest: Path, size: int | None = None, md5: str | None = None,
                      sha256: str | None = None, *, retries: int = 3, timeout: float = 60.0,
                      backoff: float = 2.0, progress: bool = True,
                      session: requests.Session | None = None) -> str:
    """``fetch`` returning the sha256 of the file now at ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    own = session is None
    session = session or requests.Session()
    failures = probes = 0
    try:
        while True:
            try:
                state = _transfer(url, part, size, timeout, session, progress, dest)
            except _Interrupted as err:
                if failures == retries:
                    have = part.stat().st_size if part.exists() else 0
                    raise DataError(dest, f"download interrupted ({err}); {have} bytes kept in "
                                          f"{part.name}, run again to resume") from None
                failures += 1
                time.sleep(backoff * failures)
                continue
            if state == "done":
                break
            if state == "unconfirmed":
                log.warning("%s: the server sent no length and takes no range requests: a cut "
                            "connection cannot be told from the end of the file", dest)
                break
            probes += 1  # "probe": ask for the bytes after the .part (416 = it was the end)
            if probes > MAX_PROBES:
                raise DataError(dest, f"download not confirmed complete (the server sent no "
                                      f"length); {part.stat().st_size} bytes kept in "
                                      f"{part.name}, run again to resume")
    finally:
        if own:
            session.close()
    digest = _verify(part, dest, size, md5, sha256)
    with part.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(part, dest)
    fsync_dir(dest.parent)
    _sidecar(part).unlink(missing_ok=True)
    return digest


def fetch(url: str, dest: Path, size: int | None = None, md5: str | None = None,
          sha256: str | None = None, *, retries: int = 3, timeout: float = 60.0,
          backoff: float = 2.0, progress: bool = True,
          session: requests.Session | None = None) -> Path:
    """Download ``url`` to ``dest`` (resuming ``dest.part``), verify it, rename it into place."""
    fetch_with_digest(url, dest, size, md5, sha256, retries=retries, timeout=timeout,
                      backoff=backoff, progress=progress, session=session)
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


RECORD = "checksums.json"  # <dataset>/downloads/checksums.json: name -> {url, size, sha256}


def _read_record(path: Path) -> dict[str, dict]:
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise DataError(path, f"unreadable download record ({_short(err)}); delete it") from None
    if not isinstance(rec, dict):
        raise DataError(path, "download record is not a JSON object; delete it")
    return rec


def _record(root: Path, f: RawFile, dest: Path, sha256: str) -> None:
    """Note ``f``'s sha256 in the dataset's record; warn if an earlier download differed."""
    path = root / DOWNLOADS / RECORD
    rec = _read_record(path)
    old = rec.get(f.name, {}).get("sha256") if isinstance(rec.get(f.name), dict) else None
    if old and old != sha256:
        log.warning("%s: differs from the earlier download (sha256 %s, was %s): the file "
                    "changed upstream", dest, sha256, old)
    rec[f.name] = {"url": f.url, "size": dest.stat().st_size, "sha256": sha256}
    atomic_write(path, (json.dumps(rec, indent=1, sort_keys=True) + "\n").encode())


def recorded_sha256(raw_root: Path, datasets: Iterable[str]) -> dict[str, dict[str, str]]:
    """dataset -> {file name: sha256} of the downloads recorded under ``raw_root``."""
    out: dict[str, dict[str, str]] = {}
    for name in datasets:
        rec = _read_record(raw_root / name / DOWNLOADS / RECORD)
        out[name] = {k: v["sha256"] for k, v in sorted(rec.items())
                     if isinstance(v, dict) and isinstance(v.get("sha256"), str)}
    return out


def _fetch(f: RawFile, root: Path, dest: Path, progress: bool) -> None:
    if f.md5 is None and f.sha256 is None:
        log.warning("%s: no published checksum for %s; only the transfer is checked (the sha256 "
                    "is recorded in %s)", dest, f.url, root / DOWNLOADS / RECORD)
    digest = fetch_with_digest(f.url, dest, f.size, f.md5, f.sha256, progress=progress)
    _record(root, f, dest, digest)


def _ensure(f: RawFile, root: Path, download: bool, keep_archives: bool, progress: bool) -> None:
    if not f.missing(root):
        return
    if not f.is_archive:
        if f.url and download:
            _fetch(f, root, root / f.provides[0], progress)
        return
    archive = root / DOWNLOADS / f.name
    if not archive.is_file() and f.url and download:
        _fetch(f, root, archive, progress)
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
