"""``eval``: compare predicted label maps with ground truth."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HELP = "pixel accuracy, mean accuracy, mIoU, fwIoU, Dice, per-class figures of predictions"


def add_arguments(p) -> None:
    p.add_argument("--pred", required=True, metavar="P", help="predicted label map (PNG) or folder")
    p.add_argument("--gt", required=True, metavar="G", help="ground-truth label map (PNG) or folder")
    p.add_argument("--labels", metavar="voc|FILE",
                   help="class names (default: a labels.txt or class_names.txt beside the ground truth "
                        "or the predictions, else voc)")
    p.add_argument("--ignore-index", type=int, default=255, help="truth value left out (default 255)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plots", metavar="DIR", help="write confusion.png and iou.png there")


def _pairs(pred: Path, gt: Path):
    from ..errors import FormatError

    for p in (pred, gt):
        if not p.exists():
            raise FormatError(f"{p} does not exist")
    if pred.is_file() and gt.is_file():
        return [(pred.stem, pred, gt)]
    if pred.is_file() or gt.is_file():
        raise FormatError("--pred and --gt must both be files or both be folders")
    preds = {p.stem: p for p in pred.glob("*.png")}
    gts = {p.stem: p for p in gt.glob("*.png")}
    common = sorted(preds.keys() & gts.keys())
    if not common:
        raise FormatError(f"no file stems in common between {pred} and {gt}")
    missing = sorted(gts.keys() - preds.keys())
    if missing:
        raise FormatError(f"no prediction for {len(missing)} ground-truth file(s), e.g. {missing[0]}.png")
    return [(s, preds[s], gts[s]) for s in common]


def run(args) -> int:
    from ..errors import FormatError
    from ..fileio import write_bytes
    from ..formats.voc import binary_mask_classes, read_label_map
    from ..labels import LabelSet
    from ..metrics import confusion_matrix
    from ..plots import confusion_png, iou_bars_png

    label_set = LabelSet.parse(args.labels) if args.labels else _beside(Path(args.gt), Path(args.pred))
    n = len(label_set)
    total, rows = None, []
    allow = (args.ignore_index,) if 0 <= args.ignore_index < 256 else ()
    for stem, p, g in _pairs(Path(args.pred), Path(args.gt)):
        truth, note_t = binary_mask_classes(read_label_map(g, label_set, allow=allow), label_set, str(g),
                                            args.ignore_index)
        pred, note_p = binary_mask_classes(read_label_map(p, label_set), label_set, str(p))
        for note in (note_t, note_p):
            if note:
                print(f"note: {note}", file=sys.stderr)
        if truth.shape != pred.shape:
            raise FormatError(f"{p}: mask is {pred.shape[1]}x{pred.shape[0]} but its ground truth "
                              f"{g.name} is {truth.shape[1]}x{truth.shape[0]}")
        try:
            cm = confusion_matrix(truth, pred, n, args.ignore_index)
        except FormatError as e:
            raise FormatError(f"{g}: {e}") from None
        rows.append((stem, cm))
        total = cm if total is None else total + cm
    report = total.report(label_set.names)
    report["images"] = len(rows)
    report["per_image"] = {s: {"pixel_accuracy": cm.pixel_accuracy(), "miou": cm.miou()} for s, cm in rows}
    if args.plots:
        write_bytes(Path(args.plots) / "confusion.png", confusion_png(total, label_set.names))
        write_bytes(Path(args.plots) / "iou.png", iou_bars_png(total, label_set.names))
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"images {len(rows)}  pixel accuracy {report['pixel_accuracy']:.4f}  mean accuracy "
          f"{report['mean_accuracy']:.4f}  mIoU {report['miou']:.4f}  fwIoU {report['fwiou']:.4f}  "
          f"mean Dice {report['mean_dice']:.4f}")
    print(f"\n{'class':20} {'IoU':>7} {'Dice':>7} {'prec':>7} {'recall':>7} {'support':>10}")
    for name, r in report["per_class"].items():
        f = lambda v: "    -  " if v is None else f"{v:7.4f}"  # noqa: E731
        print(f"{name:20} {f(r['iou'])} {f(r['dice'])} {f(r['precision'])} {f(r['recall'])} {r['support']:>10}")
    return 0


def _beside(*paths):
    """The class list a folder of label maps carries (``predict`` writes one), else VOC's."""
    from ..labels import LabelSet

    for p in paths:
        folder = p if p.is_dir() else p.parent
        for name in ("labels.txt", "class_names.txt"):
            if (folder / name).is_file():
                print(f"note: classes from {folder / name}", file=sys.stderr)
                return LabelSet.from_file(folder / name)
    return LabelSet.voc()
