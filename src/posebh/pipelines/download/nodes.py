"""Node of the ``download`` pipeline: check (and, where allowed, download) the raw files."""

from __future__ import annotations

from pathlib import Path


def fetch_raw(datasets: tuple[str, ...], params: dict) -> dict:
    """Real profile: make the raw files of ``datasets`` present (download only if enabled).

    The synthetic profile touches nothing (no network) and returns at once.
    """
    if params["source"] != "real":
        return {"source": params["source"], "datasets": {}}
    from posebh.data.real.download import prepare

    real = params["real"]
    status = prepare(datasets, Path(params["image_root"]), download=real.get("download", False),
                     keep_archives=real.get("keep_archives", False))
    return {"source": "real", "datasets": status}
