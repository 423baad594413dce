"""Help texts of the ``posebh`` command line: the version, a formatter that shows defaults, and one
usage example per subcommand (the epilog of its ``--help``). Kept out of ``posebh.commands`` so the
command code stays short. No Kedro.
"""

from __future__ import annotations

import argparse
from importlib import metadata

# one runnable example per subcommand (paths as in the README and the Kedro catalog)
EXAMPLES: dict[str, str] = {
    "evaluate": "posebh evaluate --dataset coco --gt person_keypoints_val2017.json "
                "--pred results.json --engine xtcocotools",
    "split-apt36k": "posebh split-apt36k apt36k_annotations.json data/02_intermediate/apt36k "
                    "--rule video-random --seed 0",
    "bench": "posebh bench --instances 5000 --repeats 1 --out /tmp/eval.json",
    "bench-method": "posebh bench-method --steps 3 --out /tmp/method.json",
    "bench-perf": "posebh bench-perf --steps 40 --dir reports/bench   # after `dvc repro data`",
    "bench-stage": "posebh bench-stage --reference HEAD~1 --repeats 1 --out /tmp/stage.json",
    "export": "posebh export --checkpoint data/06_models/posebh.pt --dataset coco "
              "--format onnx --out /tmp/posebh_coco.onnx",
    "miniature-raw": "posebh miniature-raw --root data/01_raw   # then: dvc exp run -S profile=paper_smoke",
    "predict": "posebh predict --checkpoint data/06_models/posebh.pt --dataset coco "
               "--images my_photos/ --boxes dets.json --out /tmp/results.json --overlays /tmp/overlays",
}


def version() -> str:
    """The installed distribution's version (``posebh.__version__`` when run from a source tree)."""
    try:
        return metadata.version("posebh")
    except metadata.PackageNotFoundError:
        from posebh import __version__

        return __version__


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """``(default: X)`` after each option that has a real default (not on required options,
    flags or ``None``); the epilog's line breaks are kept."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        default = action.default
        if action.required or default is None or default is False or default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def epilog(command: str) -> str:
    return f"example:\n  {EXAMPLES[command]}"


def decorate(sub: argparse._SubParsersAction) -> None:
    """Give every subcommand of ``sub`` the defaults formatter, its one-line help as the
    description and its example as the epilog (a subcommand without an example is a bug)."""
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, parser in sub.choices.items():
        parser.formatter_class = HelpFormatter
        parser.description = parser.description or helps.get(name)
        parser.epilog = epilog(name)
