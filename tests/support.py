"""Shared test helpers (importable: ``pythonpath = ["tests"]`` in pyproject): project paths, the
shared fixtures folder, and a profile's resolved parameters.

Tests reach the project and ``../shared`` only through these names, never through
``Path(__file__).parents[N]``, so a test file can move between folders of ``tests/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SHARED = ROOT.parent / "shared"  # ../shared beside the checkout (absent in some clones)
# POSEBH_REAL_SAMPLES points the real-format samples elsewhere (e.g. a full download)
REAL_SAMPLES = Path(os.environ.get("POSEBH_REAL_SAMPLES") or SHARED / "fixtures" / "real-samples")


def real_samples() -> Path:
    """The real-format samples folder, or a clean skip where it is absent."""
    if not REAL_SAMPLES.is_dir():
        pytest.skip(f"{REAL_SAMPLES} not present")
    return REAL_SAMPLES


def real_sample(rel: str) -> Path:
    """One file of the real-format samples, or a clean skip where it is absent."""
    path = REAL_SAMPLES / rel
    if not path.is_file():
        pytest.skip(f"real sample {path} not available")
    return path


def one_line(err: pytest.ExceptionInfo, path: Path, *fragments: str) -> None:
    """The error is one line that starts with ``path`` and holds every fragment."""
    msg = str(err.value)
    assert "\n" not in msg, msg
    assert msg.startswith(str(path)), msg
    for frag in fragments:
        assert frag in msg, msg


def profile_params(env: str) -> dict:
    """The parameters of ``conf/<env>`` as Kedro resolves them (soft-merged over conf/base and the
    profile's parents)."""
    from posebh.settings import CONFIG_LOADER_ARGS, CONFIG_LOADER_CLASS

    args = {k: v for k, v in CONFIG_LOADER_ARGS.items() if k != "default_run_env"}
    return dict(CONFIG_LOADER_CLASS(str(ROOT / "conf"), env=env, **args)["parameters"])


def paper_real_params() -> dict:
    """conf/paper's ``data`` parameters (soft-merged over conf/base)."""
    return profile_params("paper")["data"]


def keypoint_gt(k: int = 17, n_images: int = 3, seed: int = 0, head: bool = False) -> dict:
    """A COCO-style GT of two large persons per 640x480 image (area 60000 > 96^2: APM/ARM have no
    GT), ``k`` labelled keypoints each inside its box; ``head`` adds an MPII head box."""
    import numpy as np

    rng = np.random.default_rng(seed)
    images, anns = [], []
    for i in range(1, n_images + 1):
        images.append({"id": i, "file_name": f"{i}.jpg", "width": 640, "height": 480})
        for j in range(2):
            x, y, w, h = 50.0 + 300 * j, 60.0, 200.0, 300.0
            kp = np.column_stack([rng.uniform(x, x + w, k), rng.uniform(y, y + h, k),
                                  np.full(k, 2)])
            ann = {"id": 10 * i + j + 1, "image_id": i, "category_id": 1,
                   "keypoints": kp.reshape(-1).tolist(), "num_keypoints": k,
                   "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0}
            if head:
                ann["head_bbox"] = [x + 80, y, 40.0, 50.0]
            anns.append(ann)
    return {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "person"}]}


def random_coco(tmp_path: Path, name: str, n: int, seed: int) -> dict:
    """A COCO dict of ``n`` random images of mixed sizes, one instance each."""
    rng = np.random.default_rng(seed)
    images, anns = [], []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(60, 140, 2))
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(
            tmp_path / f"{name}{i}.png")
        images.append({"id": i, "file_name": f"{name}{i}.png", "width": w, "height": h})
        kps = np.zeros((17, 3))
        kps[:, 0] = rng.uniform(0.2 * w, 0.8 * w, 17)
        kps[:, 1] = rng.uniform(0.2 * h, 0.8 * h, 17)
        kps[:, 2] = rng.integers(0, 3, 17)
        kps[0, 2] = 2
        anns.append({"id": i, "image_id": i, "bbox": [0.2 * w, 0.2 * h, 0.6 * w, 0.6 * h],
                     "iscrowd": 0, "keypoints": kps.reshape(-1).tolist()})
    return {"images": images, "annotations": anns, "info": {"image_root": str(tmp_path)}}
