"""Small Kedro datasets that write to a temporary file and rename it into place.

Hand-written because kedro-datasets writes in place: an interrupted save would leave a
half-written file that a later stage could take as complete.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import yaml
from kedro.io import AbstractDataset, DatasetError

from posebh.evaluation.units import from_percent, to_percent
from posebh.io import atomic_write


class _FileDataset(AbstractDataset):
    def __init__(self, filepath: str) -> None:
        self._path = Path(filepath)

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._path)}

    def _exists(self) -> bool:
        return self._path.exists()

    def _read(self) -> bytes:
        try:
            return self._path.read_bytes()
        except OSError as err:
            raise DatasetError(f"{self._path}: cannot read ({err.strerror})") from err

    def save(self, data: Any) -> None:
        atomic_write(self._path, self._encode(data))

    def _encode(self, data: Any) -> bytes:
        raise NotImplementedError


class JSONFile(_FileDataset):
    """A JSON document (dict or list)."""

    def __init__(self, filepath: str, indent: int | None = None) -> None:
        super().__init__(filepath)
        self._indent = indent

    def load(self) -> Any:
        try:
            return json.loads(self._read())
        except json.JSONDecodeError as err:
            raise DatasetError(f"{self._path}: malformed JSON ({err.msg} at line {err.lineno})") from err

    def _encode(self, data: Any) -> bytes:
        return json.dumps(data, indent=self._indent, sort_keys=False).encode()


class MetricsFile(JSONFile):
    """A DVC metrics file: ratios in percent on disk, the evaluators' own units in memory
    (``posebh.evaluation.units``), so ``dvc metrics show`` has one unit per metric kind."""

    def load(self) -> Any:
        return from_percent(super().load())

    def _encode(self, data: Any) -> bytes:
        return super()._encode(to_percent(data))


class YAMLFile(_FileDataset):
    """A YAML document, read-only (``dvc.yaml`` for the report's pipeline map)."""

    def load(self) -> Any:
        try:
            return yaml.safe_load(self._read())
        except yaml.YAMLError as err:
            raise DatasetError(f"{self._path}: malformed YAML ({err})") from err

    def _encode(self, data: Any) -> bytes:
        raise DatasetError(f"{self._path}: read-only")


class TextFile(_FileDataset):
    """A UTF-8 text file (the HTML report)."""

    def load(self) -> str:
        return self._read().decode()

    def _encode(self, data: str) -> bytes:
        return data.encode()


class CSVFile(_FileDataset):
    """A pandas DataFrame as CSV without the index."""

    def load(self) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(self._read()))

    def _encode(self, data: pd.DataFrame) -> bytes:
        return data.to_csv(index=False, lineterminator="\n").encode()


class CSVFiles(AbstractDataset):
    """Several DataFrames, ``{name: df}``, each saved as ``<dirpath>/<name>.csv`` (atomically)."""

    def __init__(self, dirpath: str) -> None:
        self._dir = Path(dirpath)

    def _describe(self) -> dict[str, Any]:
        return {"dirpath": str(self._dir)}

    def load(self) -> dict[str, pd.DataFrame]:
        return {p.stem: CSVFile(str(p)).load() for p in sorted(self._dir.glob("*.csv"))}

    def save(self, data: dict[str, pd.DataFrame]) -> None:
        for name, df in data.items():
            if not str(name).replace("_", "").isalnum():
                raise DatasetError(f"{self._dir}: table name {name!r} is not a plain file name")
            CSVFile(str(self._dir / f"{name}.csv")).save(df)


class TorchCheckpoint(_FileDataset):
    """A checkpoint dict (tensors + plain config), loaded with ``weights_only=True``."""

    def load(self) -> dict:
        try:
            return torch.load(io.BytesIO(self._read()), map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises many types (UnpicklingError, RuntimeError, EOFError)
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise DatasetError(f"{self._path}: not a readable checkpoint ({first})") from err

    def _encode(self, data: dict) -> bytes:
        buf = io.BytesIO()
        torch.save(data, buf)
        return buf.getvalue()
