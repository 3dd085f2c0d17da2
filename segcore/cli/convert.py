"""``convert``: between VOC label maps / datasets, COCO JSON and labelme JSON."""

from __future__ import annotations

HELP = "convert annotations between VOC (PNG or dataset), COCO JSON and labelme JSON"


def add_arguments(p) -> None:
    p.add_argument("src", metavar="SRC",
                   help="label-map PNG or folder, COCO JSON, labelme JSON or folder, or VOC root")
    p.add_argument("--to", required=True, choices=("voc", "coco", "labelme"))
    p.add_argument("--out", required=True, metavar="DST",
                   help="voc: dataset folder; coco: JSON file; labelme: folder")
    p.add_argument("--labels", metavar="voc|FILE",
                   help="class names: voc or a labels file, one name per line (default: what the source "
                        "names: COCO categories, labelme labels, a labels.txt beside the PNGs)")
    p.add_argument("--images", metavar="DIR", help="folder of the images, matched by file stem")


def run(args) -> int:
    from ..formats.sources import infer_label_set, read_source, write_items
    from ..labels import LabelSet

    label_set = LabelSet.parse(args.labels) if args.labels else infer_label_set(args.src)
    items = read_source(args.src, label_set, args.images)
    out = write_items(items, args.to, args.out, label_set)
    print(f"wrote {len(items)} image{'s' if len(items) != 1 else ''} as {args.to} to {out}")
    return 0
