"""Fixtures shared across tests/<package>/ folders.

Layout: tests/<package>/test_*.py mirror src/posebh/<package>/ (no __init__.py: pytest's default
``prepend`` import mode puts each test file's folder on ``sys.path``, so basenames are unique and a
helper module beside its tests, e.g. tests/cli/faultkit.py, imports by name). Helpers used across
folders live at the top: support.py (paths, profiles), tiny.py (tiny models and dataset),
rawfixtures.py (raw files in each converter's input format).
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from socketserver import BaseServer

import pytest
import support


@pytest.fixture
def real_samples() -> Path:
    """The real-format samples folder (../shared/fixtures/real-samples or $POSEBH_REAL_SAMPLES);
    the test is skipped where it is absent."""
    return support.real_samples()


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[BaseServer], BaseServer]]:
    """``loopback(server)`` serves a server bound to 127.0.0.1 on a thread, without any proxy,
    until the test ends."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    running: list[BaseServer] = []

    def serve(srv: BaseServer) -> BaseServer:
        assert ipaddress.ip_address(srv.server_address[0]).is_loopback
        thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02},
                                  daemon=True)
        thread.start()
        running.append(srv)
        return srv

    yield serve
    for srv in running:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="session")
def kedro_pipelines() -> dict:
    """The project's registered Kedro pipelines, as ``kedro run`` finds them."""
    from kedro.framework.project import find_pipelines
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(support.ROOT)
    return find_pipelines(raise_errors=True)
