"""Reading JSON input files with one-line ``DataError`` messages (no Kedro, no converter code).

Shared by the converters (``posebh.data.real``), ``posebh evaluate`` and ``posebh split-apt36k``:
a missing, unreadable, undecodable, corrupt, truncated or absurdly nested file is a ``DataError``
``<file>: <problem>``, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from posebh.data.errors import DataError


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; every failure to read or parse it is a one-line ``DataError``."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            return json.load(f)
    except FileNotFoundError:
        raise DataError(p, "file not found") from None
    except IsADirectoryError:
        raise DataError(p, "cannot read (is a directory, expected a JSON file)") from None
    except json.JSONDecodeError as err:
        raise DataError(p, f"malformed JSON ({err.msg}: line {err.lineno} column {err.colno}; "
                           "truncated or corrupt file?)") from None
    except UnicodeDecodeError as err:
        raise DataError(p, f"not valid JSON text ({err.encoding}: {err.reason} at byte "
                           f"{err.start})") from None
    except RecursionError:
        raise DataError(p, "malformed JSON (nested too deeply to parse)") from None
    except OSError as err:
        raise DataError(p, f"cannot read ({err.strerror or type(err).__name__})") from None
