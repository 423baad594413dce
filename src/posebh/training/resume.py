"""A run's resume file: training state saved after every epoch, reused only by the same run.

The state carries a fingerprint (variant, and a hash of the resolved model, method, train and
data settings). A file whose fingerprint differs from the run's is refused with a message
naming what differs, so one run never continues from another's weights.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from posebh.io import save_torch


def digest(obj: Any) -> str:
    """A short stable hash of JSON-able settings (key order ignored)."""
    blob = json.dumps(obj, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


class ResumeMismatch(ValueError):
    """A resume file written by another run."""


@dataclass(frozen=True)
class ResumeFile:
    """``path``: where the state lives; ``fingerprint``: {part: digest or name} of this run."""

    path: Path
    fingerprint: dict[str, str]

    def load(self) -> dict | None:
        """The saved state, or None when there is none yet; never unpickles code."""
        if not self.path.exists():
            return None
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises several types for a bad file
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise ResumeMismatch(f"{self.path}: not a readable resume file ({first})") from None
        saved = state.get("fingerprint") if isinstance(state, dict) else None
        if saved != self.fingerprint:
            saved = saved if isinstance(saved, dict) else {}
            differs = sorted(k for k in set(saved) | set(self.fingerprint)
                             if saved.get(k) != self.fingerprint.get(k))
            raise ResumeMismatch(f"{self.path}: written by another run (differs in "
                                 f"{', '.join(differs) or 'fingerprint'}); delete it to start over")
        return state

    def save(self, state: dict) -> None:
        save_torch({**state, "fingerprint": dict(self.fingerprint)}, self.path)
