"""``python -m posebh.data.real``: check/fetch raw files or convert one dataset outside Kedro.

    python -m posebh.data.real fetch coco mpii [--download]
    python -m posebh.data.real convert ochuman --out data/02_intermediate

File tables come from ``conf/paper/parameters_data.yml`` (``data.real``); outputs are written
atomically as ``<out>/<dataset>_<split>.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from posebh.data.errors import DataError

DEFAULT_PARAMS = Path("conf/paper/parameters_data.yml")


def _params(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))["data"]
        return {"image_root": data["image_root"], **data["real"]}
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        raise DataError(path, f"cannot read data.image_root / data.real ({err})") from None


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (2 on a data error)."""
    parser = argparse.ArgumentParser(prog="python -m posebh.data.real")
    parser.add_argument("--params", type=Path, default=DEFAULT_PARAMS)
    sub = parser.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="check raw files (and download public ones with --download)")
    f.add_argument("datasets", nargs="+")
    f.add_argument("--download", action="store_true")
    c = sub.add_parser("convert", help="convert every split listed for one dataset")
    c.add_argument("dataset")
    c.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    from posebh.data.real import convert, download
    from posebh.data.real.files import write_json

    try:
        params = _params(args.params)
        raw_root = Path(params["image_root"])
        if args.cmd == "fetch":
            download.prepare(args.datasets, raw_root, download=args.download,
                             keep_archives=params.get("keep_archives", False))
            print("all raw files present")
            return 0
        splits = params.get("files", {}).get(args.dataset)
        if not splits:
            raise DataError(args.params, f"data.real.files has no entry {args.dataset!r}")
        for split, files in splits.items():
            out = convert.convert_split(args.dataset, files, raw_root,
                                        params.get("check_images", True))
            write_json(args.out / f"{args.dataset}_{split}.json", out)
            print(f"{args.dataset}_{split}: {len(out['images'])} images, "
                  f"{len(out['annotations'])} annotations")
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
