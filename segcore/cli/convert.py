"""``convert``: any dataset segcore opens, written as VOC, COCO or labelme."""

from __future__ import annotations

import sys

HELP = "convert annotations between VOC (PNG or dataset), COCO JSON and labelme JSON"


def add_arguments(p) -> None:
    p.add_argument("src", metavar="SRC",
                   help="label-map PNG or folder, COCO JSON, labelme JSON or folder, VOC root, or an image folder "
                        "with SegmentationClass/")
    p.add_argument("--to", required=True, choices=("voc", "coco", "labelme"))
    p.add_argument("--out", required=True, metavar="DST",
                   help="voc: dataset folder; coco: JSON file (the images go to images/ beside it); labelme: folder")
    p.add_argument("--labels", metavar="voc|FILE",
                   help="class names: voc or a labels file, one name per line (default: what the source "
                        "names: COCO categories, labelme labels, a labels.txt beside the PNGs)")
    p.add_argument("--images", metavar="DIR", help="folder of the images, matched by file stem")


def run(args) -> int:
    from ..dataset import export_dataset, open_dataset
    from ..labels import LabelSet

    label_set = LabelSet.parse(args.labels) if args.labels else None
    ds = open_dataset(args.src, images=args.images, label_set=label_set)
    notes: list[str] = []
    out = export_dataset(ds, args.to, args.out, notes)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    n = sum(1 for i in range(len(ds)) if ds.status(i) != "unlabelled")
    print(f"wrote {n} image{'s' if n != 1 else ''} as {args.to} to {out}")
    return 0
