"""What produced a report: commit, profile, hashes of params and data, versions, device."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from importlib import metadata

import torch

PACKAGES = ("torch", "timm", "kedro", "dvc", "dvclive", "xtcocotools", "pycocotools", "numpy",
            "pandas", "scikit-learn", "matplotlib")


def stable_hash(obj: object) -> str:
    """sha256 (first 12 hex) of the canonical JSON of ``obj``."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:12]


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, check=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + (" (modified)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def device_description() -> str:
    if torch.cuda.is_available():
        return f"cuda: {torch.cuda.get_device_name(0)}"
    return f"cpu: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def provenance(profile: str, params: dict, data: object) -> dict:
    return {
        "git commit": git_commit(),
        "profile": profile,
        "params hash": stable_hash(params),
        "data hash": stable_hash(data),
        "device": device_description(),
        "versions": versions(),
    }
