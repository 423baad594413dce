"""``posebh`` command line. Each subcommand lives in its own ``_add_<name>`` / ``_cmd_<name>`` pair.

Bad input (arguments, files, output paths) exits with code 2 after one line ``error: ...`` on
stderr; nothing is written then. ``--help`` shows each option's default and one example: a new
subcommand needs its entry in ``posebh.cli_help.EXAMPLES``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from posebh import cli_help, skeletons
from posebh.cli_errors import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    BadInput,
    OneLineParser,
    check_output_dir,
    check_output_file,
)
from posebh.cli_errors import fail as _fail
from posebh.evaluation.oks import DEFAULT_ENGINE, ENGINES
from posebh.predict_cli import add_predict

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "build_parser", "main"]


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="score a COCO-format results file against a GT file")
    p.add_argument("--dataset", required=True, choices=sorted(skeletons.load_skeletons()),
                   help="dataset (skeleton, OKS sigmas / PCK protocol)")
    p.add_argument("--gt", required=True, help="GT annotation JSON (unified COCO keypoint format)")
    p.add_argument("--pred", required=True, help="COCO results JSON list")
    p.add_argument("--engine", default=DEFAULT_ENGINE, choices=ENGINES,
                   help="hotcoco = xtcocotools' numbers, faster (xtcocotools where not exact); "
                        "xtcocotools = reference; faster-coco-eval needs the [bench] extra")
    p.add_argument("--json-only", action="store_true", help="print only the JSON metrics")
    p.set_defaults(func=_cmd_evaluate)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from posebh.evaluation import evaluate_dataset, format_table, load_gt, load_results

    try:
        gt = load_gt(args.gt, args.dataset)
        results = load_results(args.pred, gt, args.dataset)
        metrics = evaluate_dataset(gt, results, args.dataset, args.engine)
    except ValueError as exc:  # DataError and the evaluators' protocol errors
        return _fail(str(exc))
    if not args.json_only:
        print(f"# {args.dataset} ({args.engine})")
        print(format_table(metrics))
    print(json.dumps(metrics, indent=None if args.json_only else 2))
    return EXIT_OK


def _add_split_apt36k(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("split-apt36k", help="7:1:2 video-level split of a raw APT-36K annotation file")
    p.add_argument("raw", help="raw apt36k_annotations.json")
    p.add_argument("out_dir", help="folder for apt36k_{train,val,test}.json")
    p.add_argument("--rule", default="official", choices=("official", "video-random"),
                   help="official = PoseBH's script; video-random = seeded shuffle of the videos")
    p.add_argument("--seed", type=int, default=0, help="seed of the video-random rule")
    p.set_defaults(func=_cmd_split_apt36k)


def _cmd_split_apt36k(args: argparse.Namespace) -> int:
    """Split, validate every part (``posebh.data.coco_validate``), then publish the three files
    together with ``posebh.io.atomic_write_many``: all three are replaced, or none is (a new
    train file beside an old test file could share videos with it)."""
    from posebh.data.coco_validate import validate_coco
    from posebh.data.errors import DataError
    from posebh.data.jsonfile import read_json
    from posebh.data.splits import OUTPUT_NAMES, SplitError, split_apt36k, summary
    from posebh.io import atomic_write_many

    out = Path(args.out_dir)
    try:
        check_output_dir(out)
        parts = split_apt36k(read_json(args.raw), args.rule, args.seed)
        for part in parts.values():
            validate_coco(part, args.raw, "apt36k")
    except DataError as exc:
        return _fail(str(exc))
    except SplitError as exc:
        return _fail(f"{args.raw}: {exc}")
    try:
        atomic_write_many({out / OUTPUT_NAMES[name]: json.dumps(part).encode()
                           for name, part in parts.items()})
    except OSError as exc:
        return _fail(f"{out}: cannot write the split files ({exc.strerror or exc}); "
                     "no file was changed")
    stats = summary(parts)
    print(f"{'split':<6} {'videos':>7} {'images':>7} {'instances':>9} {'species':>7}")
    for name, row in stats.items():
        print(f"{name:<6} {row['videos']:>7} {row['images']:>7} {row['instances']:>9} {row['species']:>7}")
    return EXIT_OK


def _add_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="time the OKS evaluators on a synthetic COCO keypoint set")
    p.add_argument("--instances", type=int, default=50000, help="GT persons in the synthetic set")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per engine (median reported)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic set")
    p.add_argument("--out", default="reports/bench/eval.json", help="result JSON (written atomically)")
    p.set_defaults(func=_cmd_bench)


def _cmd_bench(args: argparse.Namespace) -> int:
    from posebh.bench.evaluators import format_bench, run_bench
    from posebh.io import atomic_write

    if args.instances < 1 or args.repeats < 1:
        return _fail("--instances and --repeats must be >= 1")
    check_output_file(Path(args.out))
    res = run_bench(args.instances, args.repeats, args.seed)
    try:
        atomic_write(Path(args.out), (json.dumps(res, indent=2) + "\n").encode())
    except OSError as exc:
        return _fail(f"{args.out}: cannot write ({exc.strerror or exc})")
    print(format_bench(res))
    print(f"wrote {args.out}")
    return EXIT_OK


def _add_bench_method(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench-method",
                       help="time PoseBH train steps per phase and deployed inference vs the baseline")
    p.add_argument("--conf", default="conf", help="the Kedro conf folder (profiles base and paper)")
    p.add_argument("--steps", type=int, default=5, help="timed steps per objective (median reported)")
    p.add_argument("--batch-embedded", type=int, default=32, help="batch of the embedded default model")
    p.add_argument("--batch-vitb", type=int, default=4, help="batch of the ViT-B 256x192 model (CPU: small)")
    p.add_argument("--out", default="reports/bench/method.json", help="result JSON (written atomically)")
    p.set_defaults(func=_cmd_bench_method)


def _profile_blocks(conf: Path, profile: str) -> tuple[dict, dict]:
    """The resolved model and method blocks of ``profile`` (its delta soft-merged over base)."""
    import yaml

    from posebh.experiments import merged

    blocks = []
    for file, key in (("parameters_train.yml", "model"), ("parameters_method.yml", "method")):
        out: dict = {}
        for env in dict.fromkeys(("base", profile)):
            path = conf / env / file
            if env == "base" or path.exists():  # base must exist; a profile may omit a file
                block = (yaml.safe_load(path.read_text()) or {}).get(key, {})
            else:
                block = {}
            if not isinstance(block, dict):
                raise TypeError(f"{key} is not a mapping in {path}")
            out = merged(out, block)
        blocks.append(out)
    return blocks[0], blocks[1]


def _cmd_bench_method(args: argparse.Namespace) -> int:
    import yaml

    from posebh.bench.method import run_method_bench
    from posebh.io import atomic_write

    if min(args.steps, args.batch_embedded, args.batch_vitb) < 1:
        return _fail("--steps, --batch-embedded and --batch-vitb must be >= 1")
    conf = Path(args.conf)
    try:
        (m_base, p_base), (m_paper, p_paper) = (_profile_blocks(conf, p) for p in ("base", "paper"))
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        return _fail(f"{conf}: cannot read the model/method parameters ({detail})")
    check_output_file(Path(args.out))
    res = run_method_bench({
        "embedded_default": {"model": m_base, "method": p_base, "batch_size": args.batch_embedded},
        "vit_b_256x192": {"model": m_paper, "method": p_paper, "batch_size": args.batch_vitb},
    }, steps=args.steps)
    try:
        atomic_write(Path(args.out), (json.dumps(res, indent=2) + "\n").encode())
    except OSError as exc:
        return _fail(f"{args.out}: cannot write ({exc.strerror or exc})")
    for name, r in res["configs"].items():
        print(name, "train-step ratio to baseline:", r["train"]["ratio_to_baseline_full_batch"])
        print(name, "deployed FLOPs ratio", r["deploy"]["flops_ratio"], "latency ratio",
              r["deploy"]["latency_ratio"])
    print(f"wrote {args.out}")
    return EXIT_OK


def _add_bench_perf(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench-perf", help="loader, step and evaluation timings of the embedded "
                       "default; the performance figures and the profile")
    p.add_argument("--steps", type=int, default=40, help="timed batches/steps (medians reported)")
    p.add_argument("--dir", default="reports/bench",
                   help="where stage.json, eval.json, method.json and stages/ are read and "
                        "perf.json + profile.json written")
    p.set_defaults(func=_cmd_bench_perf)


def _cmd_bench_perf(args: argparse.Namespace) -> int:
    from posebh.bench.perf import collect
    from posebh.io import atomic_write_many

    if args.steps < 4:
        return _fail("--steps must be >= 4")
    out = Path(args.dir)
    check_output_file(out / "perf.json")
    try:
        paper_model, _ = _profile_blocks(Path("conf"), "paper")
        perf, profile = collect(Path.cwd(), args.steps, out, paper_model,
                                _profile_blocks(Path("conf"), "base"))
    except FileNotFoundError as exc:
        return _fail(str(exc))
    atomic_write_many({out / "perf.json": (json.dumps(perf, indent=1) + "\n").encode(),
                       out / "profile.json": (json.dumps(profile, indent=1) + "\n").encode()})
    for key, value in perf.items():
        if isinstance(value, dict) and ("ratio" in value or "seconds" in value):
            print(f"{key:<40} {value.get('ratio', value.get('seconds'))}")
    print(f"wrote {out / 'perf.json'} and {out / 'profile.json'}")
    return EXIT_OK


def _add_bench_stage(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench-stage", help="wall time of the baseline training stage, this "
                       "commit over a reference commit, same machine")
    p.add_argument("--reference", required=True, help="git revision of the code to compare with")
    p.add_argument("--current", default="HEAD", help="git revision of the new code")
    p.add_argument("--repeats", type=int, default=1, help="alternating runs of each (median)")
    p.add_argument("--out", default="reports/bench/stage.json", help="result JSON")
    p.set_defaults(func=_cmd_bench_stage)


def _cmd_bench_stage(args: argparse.Namespace) -> int:
    import subprocess

    from posebh.bench.stage import compare_stage
    from posebh.io import atomic_write

    check_output_file(Path(args.out))
    try:
        res = compare_stage(Path.cwd(), args.reference, args.current, repeats=args.repeats)
    except (FileNotFoundError, RuntimeError) as exc:
        return _fail(str(exc))
    except subprocess.CalledProcessError as exc:
        return _fail(f"git: {' '.join(exc.cmd)} failed ({(exc.stderr or b'').strip()[:200]!r})")
    atomic_write(Path(args.out), (json.dumps(res, indent=1) + "\n").encode())
    print(f"{res['command']}: {res['seconds']} s, ratio {res['ratio']}; wrote {args.out}")
    return EXIT_OK


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="a checkpoint's deployed per-dataset model (or, with "
                       "--multi, the multi-dataset model) to ONNX or TorchScript, parity-checked")
    p.add_argument("--checkpoint", required=True, help="suite checkpoint or released "
                   "ViTPose++/PoseBH .pth (mmpose keys; 256x192 input)")
    p.add_argument("--dataset", help="the head to deploy (experts merged, embedding dropped); "
                   "required without --multi")
    p.add_argument("--format", default="onnx", choices=("onnx", "torchscript"),
                   help="onnx needs the [export] extra (onnx, onnxruntime)")
    p.add_argument("--out", required=True, help="the exported file (written atomically)")
    p.add_argument("--multi", action="store_true", help="every head: inputs images + "
                   "dataset_idx (B,), outputs one heatmap tensor per head in head order")
    p.set_defaults(func=_cmd_export)


def _cmd_export(args: argparse.Namespace) -> int:
    from posebh.data.errors import DataError
    from posebh.io import atomic_write
    from posebh.zoo import export
    from posebh.zoo.load import load_checkpoint

    if not args.multi and not args.dataset:
        return _fail("--dataset is required (or --multi for the multi-dataset model)")
    check_output_file(Path(args.out))
    try:
        ckpt = load_checkpoint(args.checkpoint)
    except DataError as exc:
        return _fail(str(exc))
    heads = export.head_names(ckpt)
    if args.dataset and args.dataset not in heads:
        return _fail(f"--dataset {args.dataset}: not a head of {args.checkpoint} "
                     f"(heads: {', '.join(heads)})")
    module = export.all_heads(ckpt) if args.multi else export.single_head(ckpt, args.dataset)
    try:
        data, delta = export.export(module, args.format)
    except ImportError as exc:
        return _fail(str(exc))
    try:
        atomic_write(Path(args.out), data)
    except OSError as exc:
        return _fail(f"{args.out}: cannot write ({exc.strerror or exc})")
    what = f"heads {', '.join(heads)}" if args.multi else f"head {args.dataset}"
    print(f"wrote {args.out} ({args.format}, {what}; max |heatmap - PyTorch| = {delta:.2e})")
    return EXIT_OK


def _add_miniature_raw(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("miniature-raw",
                       help="write a miniature raw tree in every real format the paper profile reads")
    p.add_argument("--root", default="data/01_raw",
                   help="raw root (conf/paper `data.image_root`); files there are overwritten")
    p.set_defaults(func=_cmd_miniature_raw)


def _cmd_miniature_raw(args: argparse.Namespace) -> int:
    from posebh.data.real.miniature import write_miniature

    root = Path(args.root)
    check_output_dir(root)
    written = write_miniature(root)
    print(f"{root}: miniature raw tree of {', '.join(written)}")
    return EXIT_OK


SUBCOMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_evaluate,
    _add_split_apt36k,
    _add_bench,
    _add_bench_method,
    _add_bench_perf,
    _add_bench_stage,
    _add_export,
    add_predict,
    _add_miniature_raw,
)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="posebh", description="PoseBH reproduction suite",
                           epilog="`posebh COMMAND --help` for a command's options and an example",
                           formatter_class=cli_help.HelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {cli_help.version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in SUBCOMMANDS:
        add(sub)
    cli_help.decorate(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 and one ``error:`` line on bad input)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help / --version have printed
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except BadInput as exc:
        return _fail(str(exc))
    try:
        return int(args.func(args))
    except BadInput as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
