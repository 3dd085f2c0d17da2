"""``predict``: segment images, write VOC palette PNG label maps (and overlays)."""

from __future__ import annotations

import sys
from pathlib import Path

HELP = "segment images; write DIR/<stem>.png label maps (palette PNG, 255 = void)"


def add_arguments(p) -> None:
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files or folders of images")
    p.add_argument("--model", default="grabcut", help="model name (see `models`; default: grabcut)")
    p.add_argument("--weights", metavar="FILE", help="checkpoint file (default: the torch hub cache)")
    p.add_argument("--scale", type=int, metavar="N",
                   help="run at shorter side N in overlapping windows (finer detail)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--overlay", action="store_true", help="also write DIR/<stem>_overlay.png")
    p.add_argument("--offline", action="store_true", help="never try to download weights")
    p.add_argument("--device", default="cpu", help="torch device (cpu, cuda, ...)")
    p.add_argument("--backend", choices=("onnxruntime", "torch"),
                   help="torch models: default onnxruntime on a CPU where installed, torch on a GPU")
    p.add_argument("--batch-size", type=int, default=4, help="images of one size run together (default 4)")
    p.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                   help="run on a Ray cluster (ADDRESS of its head, e.g. ray://host:10001; none: local Ray)")
    p.add_argument("--max-pixels", type=int, default=None, metavar="N",
                   help="refuse images over N pixels (default: 50 million)")


def expand(paths) -> list[str]:
    """Files as given; folders give their images (sorted naturally)."""
    from ..dataset.base import list_images

    out = []
    for p in paths:
        p = Path(p)
        out += [str(f) for f in list_images(p)] if p.is_dir() else [str(p)]
    return out


def run(args) -> int:
    from tqdm import tqdm

    from ..dataset.classes import write_class_list
    from ..errors import ModelError
    from ..models.batch import predict_files
    from ..models.registry import load_model

    if args.scale is not None and args.scale < 32:
        raise ModelError(f"--scale must be at least 32 (a shorter side in pixels), got {args.scale}")
    if args.batch_size < 1:
        raise ModelError("--batch-size must be at least 1")
    files = expand(args.images)
    if not files:
        raise ModelError("no images found in the given folders")
    out = Path(args.out)
    from .progress import DownloadBar

    bar = DownloadBar()
    if args.ray:
        from ..models.ray_predict import predict_with_ray

        model = load_model(args.model, weights=args.weights, offline=args.offline or None, device=args.device,
                           progress=bar, backend=args.backend)   # checks the weights here, once
        n, failed = predict_with_ray(files, out, model=args.model, weights=args.weights, device=args.device,
                                     backend=args.backend, overlay=args.overlay, address=args.ray,
                                     batch_size=args.batch_size)
        for path, msg in failed:
            print(f"error: {path}: {msg}", file=sys.stderr)
        write_class_list(out / "labels.txt", model.spec.label_set)
        print(f"wrote {n} label maps to {out} with Ray")
        return 1 if failed else 0
    model = load_model(args.model, weights=args.weights, offline=args.offline or None,
                       device=args.device, progress=bar, backend=args.backend)
    report = getattr(model, "report", None)
    if report is not None and not report.complete:
        print(f"warning: {report.summary()}", file=sys.stderr)
    write_class_list(out / "labels.txt", model.spec.label_set)   # so convert, eval, prelabel know the names
    failed = 0
    bar = tqdm(total=len(files), unit="image", disable=len(files) < 2 or None)
    for res in predict_files(model, files, out, overlay=args.overlay, scale=args.scale,
                             batch_size=args.batch_size, max_pixels=args.max_pixels):
        bar.update(1)
        if res.error:
            failed += 1
            tqdm.write(f"error: {res.error}", file=sys.stderr)
    bar.close()
    return 1 if failed else 0

