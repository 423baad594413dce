"""``posebh predict``: keypoints (COCO results JSON) and skeleton overlays for a folder of images.

Registered in ``posebh.commands.SUBCOMMANDS``; the work is ``posebh.zoo.predict_images``. Bad input
(checkpoint, head, image folder, boxes file, output paths) -> one ``error:`` line, exit 2, nothing
written. No Kedro.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from posebh import skeletons
from posebh.cli_errors import EXIT_OK, check_output_dir, check_output_file
from posebh.cli_errors import fail as _fail


def add_predict(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="keypoints of one head on a folder of images (COCO results "
                       "JSON), optionally with skeleton overlays")
    p.add_argument("--checkpoint", required=True, help="suite checkpoint or released "
                   "ViTPose++/PoseBH .pth (mmpose keys; 256x192 input)")
    p.add_argument("--dataset", required=True, help="the head to run (its skeleton and decoding)")
    p.add_argument("--images", required=True, help="folder of .jpg/.jpeg/.png images; sorted by "
                   "name they get image_id 1..N")
    p.add_argument("--boxes", help="detector boxes, COCO detection results JSON; each entry names "
                   "its image by file_name or image_id (1..N). Default: the whole image as the box")
    p.add_argument("--det-thr", type=float, default=0.0, help="drop --boxes below this score")
    p.add_argument("--out", required=True, help="COCO keypoint results JSON (written atomically)")
    p.add_argument("--overlays", help="folder for one PNG per image with the skeletons drawn")
    p.add_argument("--min-score", type=float, default=0.3, help="overlays: keypoint confidence "
                   "to draw a keypoint or an edge")
    p.add_argument("--device", default="auto", help="torch device; auto = cuda when available")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--no-flip", action="store_true", help="skip the flip test")
    p.set_defaults(func=cmd_predict)


def cmd_predict(args: argparse.Namespace) -> int:
    from posebh.data.errors import DataError
    from posebh.io import atomic_write
    from posebh.training.trainer import select_device
    from posebh.zoo import export
    from posebh.zoo import predict_images as pi
    from posebh.zoo.load import load_checkpoint

    out = Path(args.out)
    check_output_file(out)
    if args.overlays:
        check_output_dir(Path(args.overlays))
    if args.batch_size < 1:
        return _fail(f"--batch-size {args.batch_size}: must be at least 1")
    try:
        ckpt = load_checkpoint(args.checkpoint)
        heads = export.head_names(ckpt)
        if args.dataset not in heads:
            return _fail(f"--dataset {args.dataset}: not a head of {args.checkpoint} "
                         f"(heads: {', '.join(heads)})")
        k = skeletons.get(args.dataset).num_keypoints
        coco = pi.images_coco(args.images)
        if args.boxes:
            coco = pi.read_boxes(args.boxes, coco, k, det_thr=args.det_thr)
        else:
            coco = pi.whole_image_boxes(coco, k)
            print(f"no --boxes: using the whole image as the box of each of the "
                  f"{len(coco['images'])} images")
    except DataError as exc:
        return _fail(str(exc))
    device = select_device(args.device)
    results = pi.predict_folder(ckpt, args.dataset, coco, device, detector_boxes=bool(args.boxes),
                                flip_test=not args.no_flip, batch_size=args.batch_size)
    try:
        atomic_write(out, json.dumps(results).encode())
        if args.overlays:
            folder = Path(args.overlays)
            folder.mkdir(parents=True, exist_ok=True)
            root = Path(coco["info"]["image_root"])
            stems = [Path(im["file_name"]).stem for im in coco["images"]]
            unique = len(set(stems)) == len(stems)  # else a.jpg + a.png -> a.jpg.png, a.png.png
            per_image: dict[int, list[dict]] = {}
            for r in results:
                per_image.setdefault(r["image_id"], []).append(r)
            for im in coco["images"]:
                png = pi.overlay_png(root / im["file_name"], per_image.get(im["id"], []),
                                     args.dataset, args.min_score)
                name = Path(im["file_name"]).stem if unique else im["file_name"]
                atomic_write(folder / f"{name}.png", png)
    except OSError as exc:
        return _fail(f"{exc.filename or args.out}: cannot write ({exc.strerror or exc})")
    print(f"wrote {out} ({len(results)} results on {len(coco['images'])} images, head "
          f"{args.dataset})" + (f" and {len(coco['images'])} overlays in {args.overlays}"
                                if args.overlays else ""))
    return EXIT_OK
