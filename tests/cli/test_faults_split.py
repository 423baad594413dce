"""Fault rows of ``posebh split-apt36k`` (see faultkit.py for what each row checks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import rawfixtures as rf
from faultkit import Fault, run_fault, set_at


def split(fid: str, expect: str, raw: Callable | str | None = None, out: str = "old",
          args: tuple[str, ...] = ()) -> Fault:
    """A ``split-apt36k`` row; ``out``: 'old' (a folder with old outputs), 'file' (a plain file
    where the folder should be), 'under-file' (a folder below a plain file)."""
    def setup(tmp: Path) -> tuple[list[str], Path]:
        path = tmp / "apt36k_annotations.json"
        data = rf.apt36k_raw()
        if isinstance(raw, str):
            path.write_text(raw)
        else:
            if raw is not None:
                raw(data)
            rf.dump(path, data)
        target = tmp / "out"
        if out == "old":
            target.mkdir()
            for s in ("train", "val", "test"):
                (target / f"apt36k_{s}.json").write_text(f'{{"old": "{s}"}}')
        elif out == "file":
            target.write_text("not a folder")
        elif out == "under-file":
            (tmp / "plain").write_text("x")
            target = tmp / "plain" / "out"
        return ["split-apt36k", str(path), str(target), *args], target
    return Fault(f"split-{fid}", "posebh", setup, expect)


SPLIT = [
    Fault("split-raw-missing", "posebh", lambda t: (["split-apt36k", str(t / "raw.json"), str(t / "o")],
                                                    t / "o"), "raw.json: file not found"),
    split("raw-malformed", "malformed JSON", raw="{"),
    split("raw-not-object", "must be a JSON object", raw="[]"),
    split("video-id-null", "video_id None is not an integer or string id",
          raw=set_at("images", 0, "video_id", value=None)),
    split("dup-image-id", "image id 1 appears twice", raw=set_at("images", 1, "id", value=1)),
    split("backslash-dotdot", "leaves the image folder",
          raw=set_at("images", 0, "file_name", value="..\\..\\..\\img.png")),
    split("flat-file-name", "has no <species>", raw=set_at("images", 0, "file_name", value="img.png")),
    split("is-crowd-yes", "iscrowd 'yes' is not 0 or 1", raw=set_at("annotations", 0, "is_crowd", value="yes")),
    split("unknown-image", "refers to unknown image 99", raw=set_at("annotations", 0, "image_id", value=99)),
    split("visibility-7", "visibility 7 is not one of", raw=set_at("annotations", 3, "keypoints", 2, value=7)),
    split("empty-split", "split 'val' is empty", raw=lambda r: (r["images"].__delitem__(slice(1, None)),
                                                                r["annotations"].__delitem__(slice(1, None)))),
    split("out-is-file", "exists and is not a directory", out="file"),
    split("out-under-file", "plain is not a directory", out="under-file"),
    split("unknown-rule", "invalid choice: 'random'", args=("--rule", "random")),
    split("seed-not-int", "invalid int value: 'x'", args=("--seed", "x")),
]


@pytest.mark.parametrize("row", SPLIT, ids=[r.id for r in SPLIT])
def test_fault(tmp_path: Path, capsys, row: Fault) -> None:
    run_fault(row, tmp_path, capsys)
