"""The generated page in headless Chromium, offline: it renders, and it asks for nothing on the network."""

import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image
from reportkit import PROV, make_inputs

from posebh.reporting import report

CHROMIUM = next((shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    out = report.build(make_inputs(root), PROV)
    path = root / "index.html"
    path.write_text(out.html, encoding="utf-8")
    return path


def test_page_references_no_remote_resources(page):
    text = page.read_text(encoding="utf-8")
    assert not REMOTE.search(text), REMOTE.search(text).group(0)
    assert "<script" not in text.lower() and "@import" not in text and "url(" not in text


def test_page_renders_in_headless_chromium_offline(page, tmp_path):
    shot = tmp_path / "shot.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
           "--window-size=1200,3000", f"--user-data-dir={tmp_path / 'profile'}",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
           page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 50_000
    with Image.open(shot) as im:
        assert im.size == (1200, 3000)
        pixels = np.asarray(im.convert("L"), dtype=float)
    assert pixels.std() > 20  # text, tables and figures, not a blank page
    assert (pixels < 100).mean() > 0.01  # a fair amount of dark ink (text, table rules, plots)
