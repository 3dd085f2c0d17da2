"""``eval``: compare predicted label maps with ground truth (:func:`segcore.dataset.evaluate`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HELP = "pixel accuracy, mean accuracy, mIoU, fwIoU, Dice, per-class figures of predictions"


def add_arguments(p) -> None:
    p.add_argument("--pred", required=True, metavar="P", help="predicted label map (PNG) or folder")
    p.add_argument("--gt", required=True, metavar="G",
                   help="ground-truth label map (PNG) or folder, a VOC root, a COCO file or a labelme folder")
    p.add_argument("--labels", metavar="voc|FILE",
                   help="class names (default: the dataset's, or a labels.txt or class_names.txt beside the ground "
                        "truth (in a VOC root, above SegmentationClass) or the predictions, else voc)")
    p.add_argument("--ignore-index", type=int, default=255, help="truth value left out (default 255)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plots", metavar="DIR", help="write confusion.png and iou.png there")


def run(args) -> int:
    from ..dataset import evaluate
    from ..fileio import write_bytes
    from ..labels import LabelSet
    from ..plots import confusion_png, iou_bars_png

    label_set = LabelSet.parse(args.labels) if args.labels else None
    ev = evaluate(Path(args.pred), Path(args.gt), label_set, args.ignore_index)
    for note in ev.notes:
        print(f"note: {note}", file=sys.stderr)
    report = ev.report()
    names = ev.label_set.names
    if args.plots:
        write_bytes(Path(args.plots) / "confusion.png", confusion_png(ev.total, names))
        write_bytes(Path(args.plots) / "iou.png", iou_bars_png(ev.total, names))
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"images {report['images']}  pixel accuracy {report['pixel_accuracy']:.4f}  mean accuracy "
          f"{report['mean_accuracy']:.4f}  mIoU {report['miou']:.4f}  fwIoU {report['fwiou']:.4f}  "
          f"mean Dice {report['mean_dice']:.4f}")
    print(f"\n{'class':20} {'IoU':>7} {'Dice':>7} {'prec':>7} {'recall':>7} {'support':>10}")
    for name, r in report["per_class"].items():
        f = lambda v: "    -  " if v is None else f"{v:7.4f}"  # noqa: E731
        print(f"{name:20} {f(r['iou'])} {f(r['dice'])} {f(r['precision'])} {f(r['recall'])} {r['support']:>10}")
    return 0
