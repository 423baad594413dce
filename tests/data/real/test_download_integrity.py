"""Downloads whose size is not known in advance, against a loopback HTTP server written here:
a body without Content-Length that ends early is never installed as complete, a ``.part`` is
resumed only with ``If-Range`` (a file changed upstream restarts from zero, never old prefix +
new suffix), files without a published checksum are announced and their sha256 recorded."""

from __future__ import annotations

import hashlib
import http.server
import json
import logging
from pathlib import Path

import pytest
import yaml

from posebh.data.errors import DataError
from posebh.data.real.download import fetch, prepare
from posebh.data.real.manifest import MANIFEST, load_manifest

OLD = bytes(range(256)) * 1024  # 256 KiB
NEW = bytes(reversed(range(256))) * 1024


class Server(http.server.ThreadingHTTPServer):
    """``files[path] = (data, etag)``; ``framing``: ``length`` (Content-Length), ``close`` (body
    ends when the connection closes) or ``chunked``; ``cut[path] = n``: the next GET of ``path``
    sends ``n`` body bytes, then closes the connection normally."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, tuple[bytes, str]] = {}
        self.cut: dict[str, int] = {}
        self.framing = "length"
        self.ranges = True  # Accept-Ranges: bytes, honours Range
        self.if_range = True  # honours If-Range
        self.seen: list[tuple[str | None, str | None]] = []  # (Range, If-Range) per GET

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server
        rng, if_range = self.headers.get("Range"), self.headers.get("If-Range")
        srv.seen.append((rng, if_range))
        self.close_connection = True
        data, etag = srv.files[self.path]
        start = 0
        if rng and srv.ranges and (not srv.if_range or if_range in (None, etag)):
            start = int(rng.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        cut = srv.cut.pop(self.path, None)
        sent = body if cut is None else body[:cut]
        self.send_header("ETag", etag)
        self.send_header("Connection", "close")
        if srv.ranges:
            self.send_header("Accept-Ranges", "bytes")
        if srv.framing == "length":
            self.send_header("Content-Length", str(len(body)))
        elif srv.framing == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if srv.framing != "chunked":
            self.wfile.write(sent)
            return
        for i in range(0, len(sent), 65536):
            chunk = sent[i:i + 65536]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        if cut is None:
            self.wfile.write(b"0\r\n\r\n")


@pytest.fixture
def server(loopback) -> Server:
    return loopback(Server())  # asserts the server is bound to a loopback address


def _get(srv: Server, dest: Path, retries: int = 0) -> None:
    fetch(srv.url("/a.bin"), dest, retries=retries, backoff=0, timeout=5, progress=False)


def test_a_body_without_length_cut_short_is_completed_not_installed(server, tmp_path):
    server.framing = "close"
    server.files["/a.bin"] = (OLD, '"v1"')
    server.cut["/a.bin"] = 100_000  # then a normal close: looks like the end of the file
    _get(server, tmp_path / "a.bin")
    assert (tmp_path / "a.bin").read_bytes() == OLD  # not OLD[:100000]
    assert server.seen == [(None, None), ("bytes=100000-", '"v1"')]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_a_complete_body_without_length_is_confirmed_by_a_416(server, tmp_path):
    server.framing = "close"
    server.files["/a.bin"] = (OLD, '"v1"')
    _get(server, tmp_path / "a.bin")
    assert server.seen == [(None, None), (f"bytes={len(OLD)}-", '"v1"')]
    assert (tmp_path / "a.bin").read_bytes() == OLD


def test_a_server_without_length_or_ranges_is_named_in_a_warning(server, tmp_path, caplog):
    server.framing, server.ranges = "close", False
    server.files["/a.bin"] = (OLD, '"v1"')
    with caplog.at_level(logging.WARNING, logger="posebh.data.real.download"):
        _get(server, tmp_path / "a.bin")
    assert (tmp_path / "a.bin").read_bytes() == OLD
    assert f"{tmp_path / 'a.bin'}: the server sent no length and takes no range requests" \
        in caplog.text


def test_a_chunked_body_cut_before_its_last_chunk_resumes_with_if_range(server, tmp_path):
    server.framing = "chunked"
    server.files["/a.bin"] = (OLD, '"v1"')
    server.cut["/a.bin"] = 131_072
    with pytest.raises(DataError, match="download interrupted"):
        _get(server, tmp_path / "a.bin")
    assert not (tmp_path / "a.bin").exists()
    assert (tmp_path / "a.bin.part").stat().st_size == 131_072
    _get(server, tmp_path / "a.bin")
    assert server.seen[-1] == ("bytes=131072-", '"v1"')
    assert (tmp_path / "a.bin").read_bytes() == OLD


@pytest.mark.parametrize("if_range", [True, False], ids=["if-range", "ignores-if-range"])
def test_a_file_changed_upstream_restarts_from_zero(server, tmp_path, if_range):
    server.if_range = if_range  # False: answers 206 anyway, but with the new ETag
    server.files["/a.bin"] = (OLD, '"v1"')
    server.cut["/a.bin"] = 100_000
    with pytest.raises(DataError, match="download interrupted"):
        _get(server, tmp_path / "a.bin")
    server.files["/a.bin"] = (NEW, '"v2"')
    _get(server, tmp_path / "a.bin", retries=1)
    assert (tmp_path / "a.bin").read_bytes() == NEW  # not OLD[:100000] + NEW[100000:]
    assert server.seen[1] == ("bytes=100000-", '"v1"')


def test_a_part_without_saved_validators_is_not_resumed(server, tmp_path):
    server.files["/a.bin"] = (NEW, '"v2"')
    (tmp_path / "a.bin.part").write_bytes(OLD[:100_000])  # from an older version, say
    _get(server, tmp_path / "a.bin")
    assert (tmp_path / "a.bin").read_bytes() == NEW
    assert server.seen == [(None, None)]


def _manifest(tmp_path: Path, url: str) -> dict:
    spec = {"datasets": {"toy": {"homepage": "https://example.org", "license": "test", "files": [
        {"name": "train.json", "url": url, "size": None, "md5": None, "sha256": None,
         "provides": ["annotations/train.json"], "get": "https://example.org"}]}}}
    (tmp_path / "manifest.yaml").write_text(yaml.safe_dump(spec))
    return load_manifest(tmp_path / "manifest.yaml")


def test_a_file_without_checksum_is_announced_and_its_sha256_recorded(server, tmp_path, caplog):
    from posebh.data.real.download import recorded_sha256

    server.files["/a.bin"] = (OLD, '"v1"')
    manifest, raw = _manifest(tmp_path, server.url("/a.bin")), tmp_path / "raw"
    dest = raw / "toy/annotations/train.json"
    with caplog.at_level(logging.WARNING, logger="posebh.data.real.download"):
        prepare(["toy"], raw, download=True, manifest=manifest, progress=False)
    assert f"{dest}: no published checksum for {server.url('/a.bin')}" in caplog.text
    assert recorded_sha256(raw, ["toy"]) == {"toy": {"train.json": hashlib.sha256(OLD).hexdigest()}}
    record = json.loads((raw / "toy/downloads/checksums.json").read_text())
    assert record["train.json"]["size"] == len(OLD)
    caplog.clear()
    server.files["/a.bin"] = (NEW, '"v2"')
    dest.unlink()
    with caplog.at_level(logging.WARNING, logger="posebh.data.real.download"):
        prepare(["toy"], raw, download=True, manifest=manifest, progress=False)
    assert (f"{dest}: differs from the earlier download (sha256 {hashlib.sha256(NEW).hexdigest()}, "
            f"was {hashlib.sha256(OLD).hexdigest()})") in caplog.text
    assert recorded_sha256(raw, ["toy"]) == {"toy": {"train.json": hashlib.sha256(NEW).hexdigest()}}


def test_shipped_manifest_marks_every_unpublished_checksum_of_a_download():
    lines = MANIFEST.read_text(encoding="utf-8").splitlines()
    url = None
    for line in lines:
        key = line.strip().removeprefix("- ").split(":")[0]
        if key == "url":
            url = line.split(":", 1)[1].strip()
        elif key in ("md5", "sha256") and url != "null" \
                and line.split(":", 1)[1].split("#")[0].strip() == "null":
            assert line.rstrip().endswith("# not published"), line


def test_the_download_status_carries_the_recorded_sha256(tmp_path, monkeypatch):
    from posebh.data.real import download
    from posebh.pipelines.download.nodes import fetch_raw

    monkeypatch.setattr(download, "prepare", lambda datasets, root, **kw: {"toy": ["a.json"]})
    record = tmp_path / "toy/downloads/checksums.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"a.json": {"url": "http://127.0.0.1/a", "size": 3,
                                             "sha256": "ab" * 32}}))
    params = {"source": "real", "image_root": str(tmp_path), "real": {"download": True}}
    assert fetch_raw(("toy",), params) == {"source": "real", "datasets": {"toy": ["a.json"]},
                                          "sha256": {"toy": {"a.json": "ab" * 32}}}
