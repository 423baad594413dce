import json

import pandas as pd
import pytest
import torch
from kedro.io import DatasetError

from posebh.pipelines.atomic_datasets import (
    CSVFile,
    JSONFile,
    TextFile,
    TorchCheckpoint,
    atomic_write,
)


def test_round_trips(tmp_path):
    JSONFile(str(tmp_path / "a.json")).save({"x": [1, 2]})
    assert JSONFile(str(tmp_path / "a.json")).load() == {"x": [1, 2]}
    TextFile(str(tmp_path / "r/index.html")).save("<p>hi</p>")
    assert TextFile(str(tmp_path / "r/index.html")).load() == "<p>hi</p>"
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    CSVFile(str(tmp_path / "t.csv")).save(df)
    assert CSVFile(str(tmp_path / "t.csv")).load()["a"].tolist() == [1, 2]
    TorchCheckpoint(str(tmp_path / "m.pt")).save({"w": torch.ones(2), "cfg": {"a": 1}})
    assert torch.equal(TorchCheckpoint(str(tmp_path / "m.pt")).load()["w"], torch.ones(2))


def test_failed_save_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "a.json"
    JSONFile(str(path)).save({"ok": 1})
    with pytest.raises(DatasetError, match="not JSON serializable"):
        JSONFile(str(path)).save({"bad": object()})
    assert json.loads(path.read_text()) == {"ok": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_bad_files_name_the_file(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    cases = [(JSONFile, "bad.json", "bad.json: malformed JSON"),
             (TorchCheckpoint, "bad.pt", "bad.pt: not a readable checkpoint"),
             (JSONFile, "missing.json", "missing.json: cannot read")]
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    for cls, name, message in cases:
        with pytest.raises(DatasetError) as err:
            cls(str(tmp_path / name)).load()
        assert message in str(err.value)


def test_atomic_write_creates_parents(tmp_path):
    atomic_write(tmp_path / "x/y/z.bin", b"abc")
    assert (tmp_path / "x/y/z.bin").read_bytes() == b"abc"


def test_atomic_write_gives_the_usual_file_permissions(tmp_path):
    import os

    from posebh.io import atomic_write

    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "x.json", b"{}")
    finally:
        os.umask(umask)
    assert (tmp_path / "x.json").stat().st_mode & 0o777 == 0o644
