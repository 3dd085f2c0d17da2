"""``predict``: segment images, write VOC palette PNG label maps (and overlays)."""

from __future__ import annotations

import sys
from pathlib import Path

HELP = "segment images; write DIR/<stem>.png label maps (palette PNG, 255 = void)"


def add_arguments(p) -> None:
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    p.add_argument("--model", default="grabcut", help="model name (see `models`; default: grabcut)")
    p.add_argument("--weights", metavar="FILE", help="checkpoint file (default: the torch hub cache)")
    p.add_argument("--scale", type=int, metavar="N",
                   help="run at shorter side N in overlapping windows (finer detail)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--overlay", action="store_true", help="also write DIR/<stem>_overlay.png")
    p.add_argument("--offline", action="store_true", help="never try to download weights")
    p.add_argument("--device", default="cpu", help="torch device (cpu, cuda, ...)")
    p.add_argument("--max-pixels", type=int, default=None, metavar="N",
                   help="refuse images over N pixels (default: 50 million)")


def run(args) -> int:
    from PIL import Image
    from tqdm import tqdm

    from ..errors import ModelError, SegcoreError
    from ..fileio import write_with
    from ..formats.voc import write_label_png
    from ..image import DEFAULT_MAX_PIXELS, load
    from ..models.registry import load_model
    from ..render import overlay

    if args.scale is not None and args.scale < 32:
        raise ModelError(f"--scale must be at least 32 (a shorter side in pixels), got {args.scale}")
    model = load_model(args.model, weights=args.weights, offline=args.offline or None,
                       device=args.device, progress=True)
    report = getattr(model, "report", None)
    if report is not None and not report.complete:
        print(f"warning: {report.summary()}", file=sys.stderr)
    out = Path(args.out)
    failed = 0
    names_written = False
    bar = tqdm(args.images, unit="image", disable=len(args.images) < 2 or not sys.stderr.isatty())
    for path in bar:
        try:
            rgb = load(path, max_pixels=args.max_pixels or DEFAULT_MAX_PIXELS)
            seg = model.predict(rgb, scale=args.scale)
            stem = Path(path).stem
            write_label_png(out / f"{stem}.png", seg.labels, seg.label_set)
            if not names_written:   # so convert, eval and prelabel know what the values mean
                _write_class_list(out / "labels.txt", seg.label_set)
                names_written = True
            if args.overlay:
                over = Image.fromarray(overlay(rgb, seg))
                write_with(out / f"{stem}_overlay.png", lambda p: over.save(p, format="PNG"))
        except SegcoreError as e:
            failed += 1
            print(f"error: {e}", file=sys.stderr)
    return 1 if failed else 0


def _write_class_list(path, label_set) -> None:
    from ..fileio import write_text

    text = "".join(f"{n}\n" for n in label_set.names)
    if not (path.is_file() and path.read_text(encoding="utf-8") == text):
        write_text(path, text)
