"""The download step against a local HTTP server (127.0.0.1, Range/If-Range written here): success,
resume after a cut connection, checksum mismatch, 404, unpacking, and the missing-files message.
Nothing half-written may ever sit at the final path."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from support import ROOT, one_line

from posebh.data.errors import DataError
from posebh.data.real.download import MissingRawFiles, fetch, prepare
from posebh.data.real.manifest import load_manifest

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class Server(http.server.ThreadingHTTPServer):
    """Serves ``files``; ``cut[path] = n`` makes the next GET of ``path`` stop after ``n`` bytes."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, bytes] = {}
        self.cut: dict[str, int] = {}
        self.ranges: list[tuple[str, str | None]] = []
        self.ignore_range = False

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_GET(self) -> None:
        srv = self.server
        rng = self.headers.get("Range")
        srv.ranges.append((self.path, rng))
        data = srv.files.get(self.path)
        if data is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        etag = f'"{hashlib.md5(data).hexdigest()}"'
        if_range = self.headers.get("If-Range")
        if rng and not srv.ignore_range and if_range in (None, etag):
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
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        self.end_headers()
        cut = srv.cut.pop(self.path, None)
        if cut is not None:  # promise everything, send part of it, drop the connection
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server(loopback) -> Server:
    return loopback(Server())


def test_success_verifies_size_and_checksums(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD
    dest = tmp_path / "dl" / "a.bin"
    fetch(server.url("/a.bin"), dest, size=len(PAYLOAD), md5=hashlib.md5(PAYLOAD).hexdigest(),
          sha256=hashlib.sha256(PAYLOAD).hexdigest(), progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert sorted(p.name for p in dest.parent.iterdir()) == ["a.bin"]


def test_resume_after_a_cut_connection(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD
    server.cut["/a.bin"] = 300_000
    dest = tmp_path / "a.bin"
    part = tmp_path / "a.bin.part"
    with pytest.raises(DataError) as err:  # no retries: the first attempt fails
        fetch(server.url("/a.bin"), dest, size=len(PAYLOAD), retries=0, progress=False)
    one_line(err, dest, "download interrupted")
    assert "run again to resume" in str(err.value)
    assert not dest.exists() and part.stat().st_size == 300_000
    fetch(server.url("/a.bin"), dest, size=len(PAYLOAD), sha256=hashlib.sha256(PAYLOAD).hexdigest(),
          retries=0, progress=True)
    assert server.ranges[-1] == ("/a.bin", "bytes=300000-")
    assert dest.read_bytes() == PAYLOAD and not part.exists()


def test_a_cut_connection_is_retried_within_one_call(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD
    server.cut["/a.bin"] = 123_456
    dest = tmp_path / "a.bin"
    fetch(server.url("/a.bin"), dest, md5=hashlib.md5(PAYLOAD).hexdigest(), retries=2, backoff=0,
          progress=False)
    assert [r for _, r in server.ranges] == [None, "bytes=123456-"]
    assert dest.read_bytes() == PAYLOAD


def test_a_server_ignoring_range_restarts_cleanly(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD
    server.ignore_range = True
    (tmp_path / "a.bin.part").write_bytes(b"stale bytes")
    dest = tmp_path / "a.bin"
    fetch(server.url("/a.bin"), dest, size=len(PAYLOAD), retries=0, progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_a_complete_part_file_is_not_fetched_again(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD
    (tmp_path / "a.bin.part").write_bytes(PAYLOAD)
    (tmp_path / "a.bin.part.json").write_text(json.dumps(  # saved when the .part was started
        {"url": server.url("/a.bin"), "etag": f'"{hashlib.md5(PAYLOAD).hexdigest()}"'}))
    fetch(server.url("/a.bin"), tmp_path / "a.bin", retries=0, progress=False)  # size unknown: 416
    assert server.ranges == [("/a.bin", f"bytes={len(PAYLOAD)}-")]
    assert (tmp_path / "a.bin").read_bytes() == PAYLOAD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_checksum_mismatch_leaves_nothing_behind(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD
    dest = tmp_path / "a.bin"
    with pytest.raises(DataError) as err:
        fetch(server.url("/a.bin"), dest, md5="0" * 32, progress=False)
    one_line(err, dest, f"checksum mismatch: md5 {hashlib.md5(PAYLOAD).hexdigest()}, "
                                f"expected {'0' * 32}")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(DataError) as err:
        fetch(server.url("/a.bin"), dest, size=len(PAYLOAD) + 1, progress=False)
    one_line(err, dest, "size mismatch")
    assert list(tmp_path.iterdir()) == []


def test_404_is_a_one_line_error(server, tmp_path):
    dest = tmp_path / "missing.zip"
    with pytest.raises(DataError) as err:
        fetch(server.url("/missing.zip"), dest, progress=False)
    one_line(err, dest, "HTTP 404")
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    srv = Server()  # bound, never served: then closed -> connection refused
    url = srv.url("/a.bin")
    srv.server_close()
    with pytest.raises(DataError) as err:
        fetch(url, tmp_path / "a.bin", retries=1, backoff=0, timeout=5, progress=False)
    one_line(err, tmp_path / "a.bin", "download interrupted (ConnectionError")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _manifest(tmp_path: Path, server: Server, archive: bytes, md5: str | None = None) -> dict:
    spec = {"datasets": {"toy": {"homepage": "https://example.org", "license": "test", "files": [
        {"name": "toy.zip", "url": server.url("/toy.zip"), "size": len(archive),
         "md5": md5 or hashlib.md5(archive).hexdigest(), "sha256": None,
         "provides": ["annotations/all/train.json", "images"], "get": "https://example.org"},
        {"name": "extra.json", "url": None, "size": None, "md5": None, "sha256": None,
         "provides": ["annotations/extra.json"], "get": "a request form at https://example.org/form"},
    ]}}}
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(spec))
    return load_manifest(path)


def test_prepare_downloads_unpacks_and_lists_what_must_be_placed_by_hand(server, tmp_path):
    archive = _zip({"toy/annotations/all/train.json": b"{}", "toy/annotations/val/train.json": b"[]",
                    "toy/images/0001.jpg": b"jpg", "toy/images/0002.jpg": b"jpg"})
    server.files["/toy.zip"] = archive
    manifest = _manifest(tmp_path, server, archive)
    raw = tmp_path / "raw"
    with pytest.raises(MissingRawFiles) as err:
        prepare(["toy"], raw, download=False, manifest=manifest, progress=False)
    assert server.ranges == []  # no network without download=True
    hint = f"{server.url('/toy.zip')} (or set data.real.download: true to fetch it)"
    assert str(err.value).splitlines()[1:] == [
        f"  {raw}/toy/annotations/all/train.json  <- {hint}",
        f"  {raw}/toy/images  <- {hint}",
        f"  {raw}/toy/annotations/extra.json  <- a request form at https://example.org/form"]
    with pytest.raises(MissingRawFiles) as err:
        prepare(["toy"], raw, download=True, manifest=manifest, progress=False)
    assert str(err.value).splitlines()[0] == f"{raw}: 1 raw file(s) missing; place them as listed " \
                                             "(docs/real-datasets.md), then run again:"
    assert (raw / "toy/annotations/all/train.json").read_bytes() == b"{}"
    assert sorted(p.name for p in (raw / "toy/images").iterdir()) == ["0001.jpg", "0002.jpg"]
    assert not (raw / "toy/downloads/toy.zip").exists()  # keep_archives=False
    assert not [p for p in (raw / "toy").iterdir() if p.name.startswith(".unpack")]
    (raw / "toy/annotations/extra.json").write_text("{}")
    status = prepare(["toy"], raw, download=True, manifest=manifest, progress=False)
    assert status == {"toy": ["annotations/all/train.json", "annotations/extra.json", "images"]}
    assert len(server.ranges) == 1  # already present: not fetched again


def test_prepare_with_a_bad_checksum_places_nothing(server, tmp_path):
    archive = _zip({"annotations/all/train.json": b"{}", "images/1.jpg": b"x"})
    server.files["/toy.zip"] = archive
    manifest = _manifest(tmp_path, server, archive, md5="f" * 32)
    raw = tmp_path / "raw"
    with pytest.raises(DataError) as err:
        prepare(["toy"], raw, download=True, manifest=manifest, progress=False)
    one_line(err, raw / "toy/downloads/toy.zip", "checksum mismatch")
    assert not (raw / "toy/images").exists() and not (raw / "toy/downloads/toy.zip").exists()


def test_a_corrupt_archive_is_removed_and_named(server, tmp_path):
    archive = b"PK\x03\x04 not really a zip"
    server.files["/toy.zip"] = archive
    manifest = _manifest(tmp_path, server, archive)
    raw = tmp_path / "raw"
    with pytest.raises(DataError) as err:
        prepare(["toy"], raw, download=True, manifest=manifest, progress=False)
    one_line(err, raw / "toy/downloads/toy.zip", "corrupt or unreadable archive")
    assert not (raw / "toy/downloads/toy.zip").exists() and not (raw / "toy/images").exists()


def test_the_shipped_manifest_is_valid_and_names_every_dataset():
    from posebh import skeletons
    from posebh.data.real.manifest import default_manifest

    manifest = default_manifest()
    assert set(skeletons.SOURCES) | set(skeletons.TRANSFER) | {"ochuman"} == set(manifest)
    for source in manifest.values():
        assert source.homepage.startswith("http") and source.license
        for f in source.files:
            assert f.get
    coco = {f.name: f for f in manifest["coco"].files}
    assert coco["val2017.zip"].md5 == "442b8da7639aecaf257c1dceb8ba8c80"


def test_bad_manifest_is_a_one_line_error(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("datasets:\n  x:\n    homepage: h\n    license: l\n    files:\n"
                    "      - {name: a, url: ftp://x, size: null, md5: null, sha256: null,"
                    " provides: [a], get: g}\n")
    with pytest.raises(DataError) as err:
        load_manifest(path)
    one_line(err, path, "url 'ftp://x' is not an http(s) URL")
    path.write_text(path.read_text().replace("ftp://x", "null").replace("[a]", "[../a]"))
    with pytest.raises(DataError, match="must be a relative path"):
        load_manifest(path)


def test_download_pipeline_is_a_no_op_in_the_embedded_profile(monkeypatch):
    import requests

    from posebh.pipelines.download.nodes import fetch_raw

    def no_network(*args, **kwargs):
        raise AssertionError("network access in the synthetic profile")

    monkeypatch.setattr(requests.Session, "get", no_network)
    base = yaml.safe_load((ROOT / "conf/base/parameters_data.yml")
                          .read_text())["data"]
    assert fetch_raw(("coco", "mpii"), base) == {"source": "synthetic", "datasets": {}}
