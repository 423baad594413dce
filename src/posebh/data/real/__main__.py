"""``python -m posebh.data.real``: check/fetch raw files or convert one dataset outside Kedro.

    python -m posebh.data.real fetch coco mpii [--download]
    python -m posebh.data.real convert ochuman --out data/02_intermediate
    python -m posebh.data.real convert apt36k --out data/02_intermediate

File tables come from ``conf/paper/parameters_data.yml`` (``data.real``; APT-36K also reads
``data.apt36k.split_rule`` and ``data.seed``). Every split of the dataset is converted and
validated first; then all outputs ``<out>/<dataset>_<split>.json`` are published together
(``posebh.io.atomic_write_many``): a failure leaves no new file and every old one unchanged.
Bad input exits with 2 after one line ``error: ...`` on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from posebh.cli_errors import BadInput, OneLineParser, check_output_dir, fail
from posebh.data.errors import DataError

DEFAULT_PARAMS = Path("conf/paper/parameters_data.yml")


def _params(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))["data"]
        return {"image_root": data["image_root"], "seed": data.get("seed", 0),
                "apt36k": data.get("apt36k") or {}, **data["real"]}
    except (OSError, KeyError, TypeError, AttributeError, UnicodeDecodeError,
            yaml.YAMLError) as err:
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataError(path, f"cannot read data.image_root / data.real ({detail})") from None


def _convert(dataset: str, params: dict, raw_root: Path, where: Path) -> dict[str, dict]:
    """Split name -> converted split, for every split listed for ``dataset``."""
    from posebh.data.real import convert, convert_apt36k
    from posebh.data.real.files import check_images

    splits = params.get("files", {}).get(dataset)
    if not isinstance(splits, dict) or not splits:
        raise DataError(where, f"data.real.files has no entry {dataset!r}")
    check = params.get("check_images", True)
    if dataset == "apt36k":
        files = convert.resolve(splits.get("raw") or {}, raw_root, convert_apt36k.REQUIRED,
                                convert_apt36k.OPTIONAL, "data.real.files.apt36k.raw")
        parts, _ = convert_apt36k.convert(files, rule=params["apt36k"].get("split_rule", "official"),
                                          seed=params["seed"])
        if check:
            for part in parts.values():
                check_images(part, files["images"], files["annotations"])
        return parts
    return {split: convert.convert_split(dataset, files, raw_root, check,
                                         where=f"data.real.files.{dataset}.{split}")
            for split, files in splits.items()}


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (2 and one ``error:`` line on bad input)."""
    parser = OneLineParser(prog="python -m posebh.data.real")
    parser.add_argument("--params", type=Path, default=DEFAULT_PARAMS)
    sub = parser.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="check raw files (and download public ones with --download)")
    f.add_argument("datasets", nargs="+")
    f.add_argument("--download", action="store_true")
    c = sub.add_parser("convert", help="convert every split listed for one dataset")
    c.add_argument("dataset")
    c.add_argument("--out", type=Path, required=True)

    from posebh.data.real import download
    from posebh.io import atomic_write_many

    try:
        args = parser.parse_args(argv)
        params = _params(args.params)
        raw_root = Path(params["image_root"])
        if args.cmd == "fetch":
            download.prepare(args.datasets, raw_root, download=args.download,
                             keep_archives=params.get("keep_archives", False))
            print("all raw files present")
            return 0
        check_output_dir(args.out)
        outputs = _convert(args.dataset, params, raw_root, args.params)
    except download.MissingRawFiles as err:
        print("\n".join(str(err).splitlines()[1:]))  # where to get each file, on stdout
        return fail(str(err))
    except (DataError, BadInput) as err:
        return fail(str(err))
    try:
        atomic_write_many({args.out / f"{args.dataset}_{split}.json": json.dumps(out).encode()
                           for split, out in outputs.items()})
    except OSError as err:
        return fail(f"{args.out}: cannot write ({err.strerror or err}); no file was changed")
    for split, out in outputs.items():
        print(f"{args.dataset}_{split}: {len(out['images'])} images, "
              f"{len(out['annotations'])} annotations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
