"""Node of the ``download`` pipeline: check (and, where allowed, download) the raw files."""

from __future__ import annotations

from pathlib import Path


def fetch_raw(datasets: tuple[str, ...], params: dict) -> dict:
    """Real profile: make the raw files of ``datasets`` present (download only if enabled).

    The status lists each dataset's raw paths and the sha256 recorded for every downloaded file
    (so a file that changed upstream changes the status, and DVC re-runs what depends on it).
    The synthetic profile touches nothing (no network) and returns at once. With
    ``real.miniature`` (conf/paper_smoke) the miniature raw tree is written under the root first.
    """
    if params["source"] != "real":
        return {"source": params["source"], "datasets": {}}
    from posebh.data.real.download import prepare, recorded_sha256

    real = params["real"]
    root = Path(params["image_root"])
    if real.get("miniature", False):
        from posebh.data.real.miniature import write_miniature

        write_miniature(root)
    status = prepare(datasets, root, download=real.get("download", False),
                     keep_archives=real.get("keep_archives", False))
    return {"source": "real", "datasets": status, "sha256": recorded_sha256(root, datasets)}
