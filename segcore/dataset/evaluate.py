"""``evaluate(pred, truth)``: score label maps against ground truth, for ``segcore eval`` and
the app's Evaluate panel alike.

``pred`` and ``truth`` are each a label map ``(H, W)`` uint8, a label-map PNG, or a folder of
them matched by file stem; ``truth`` may also be a dataset (a VOC root, a COCO file, a
labelme folder), whose labelled items are matched by name. One confusion matrix is summed
over all images (:mod:`segcore.metrics`).

Classes, where not given: the dataset's own, else a ``labels.txt`` / ``class_names.txt``
beside the truth or the predictions (in a VOC root above its ``SegmentationClass``), else
VOC's 21. A two-valued 0/255 mask against a two-class label set is background and the class,
and said so in ``notes``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..formats.voc import binary_mask_classes, read_label_map
from ..labels import LabelSet
from ..metrics import ConfusionMatrix, confusion_matrix

__all__ = ["Evaluation", "evaluate", "classes_beside"]


@dataclass
class Evaluation:
    """The summed confusion, each image's, the classes scored, and notes for the user."""

    total: ConfusionMatrix
    per_image: dict[str, ConfusionMatrix]
    label_set: LabelSet
    notes: list[str] = field(default_factory=list)

    def report(self) -> dict:
        """JSON-ready: pixel_accuracy, mean_accuracy, miou, fwiou, mean_dice, per_class,
        confusion_matrix, unassigned, images, per_image."""
        rep = self.total.report(self.label_set.names)
        rep["images"] = len(self.per_image)
        rep["per_image"] = {s: {"pixel_accuracy": cm.pixel_accuracy(), "miou": cm.miou()}
                            for s, cm in self.per_image.items()}
        return rep

    def summary(self) -> str:
        """One line: pixel accuracy, mean accuracy, mIoU, fwIoU, mean Dice."""
        r = self.report()
        f = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
        return (f"pixel accuracy {f(r['pixel_accuracy'])}, mean accuracy {f(r['mean_accuracy'])}, "
                f"mIoU {f(r['miou'])}, fwIoU {f(r['fwiou'])}, mean Dice {f(r['mean_dice'])}")

    def table(self) -> list[list]:
        """``[class, IoU, Dice, precision, recall, support]`` of each class present."""
        return [[n, r["iou"], r["dice"], r["precision"], r["recall"], r["support"]]
                for n, r in self.report()["per_class"].items()]


def classes_beside(*paths) -> tuple[LabelSet, Path | None]:
    """The class list a folder of label maps carries (``predict`` writes one; a VOC root keeps
    it above ``SegmentationClass``), else VOC's; and the file it came from."""
    for p in paths:
        if p is None or isinstance(p, np.ndarray):
            continue
        p = Path(p)
        folder = p if p.is_dir() else p.parent
        folders = [folder, folder.parent] if folder.name == "SegmentationClass" else [folder]
        for f in folders:
            for name in ("labels.txt", "class_names.txt"):
                if (f / name).is_file():
                    return LabelSet.from_file(f / name), f / name
    return LabelSet.voc(), None


def _maps(src, what: str) -> dict[str, object]:
    """``{stem: path or array}`` of one side."""
    if isinstance(src, np.ndarray):
        return {"image": src}
    p = Path(src)
    if not p.exists():
        raise FormatError(f"{p} does not exist")
    if p.is_file():
        return {p.stem: p}
    found = {q.stem: q for q in p.glob("*.png") if not q.name.endswith(("_overlay.png", "_legend.png"))}
    if not found and (p / "SegmentationClass").is_dir():
        found = {q.stem: q for q in (p / "SegmentationClass").glob("*.png")}
    if not found:
        raise FormatError(f"{p} holds no label maps (.png) to take as {what}")
    return found


def _dataset_truth(src, label_set):
    """A dataset given as the truth (COCO file, labelme folder): ``(ds, {name: index})``, else None."""
    if isinstance(src, np.ndarray):
        return None
    from .open import detect_format, open_dataset

    p = Path(src)
    if detect_format(p) not in ("coco", "labelme"):
        return None
    ds = open_dataset(p, label_set=label_set)
    return ds, {Path(n).stem: i for i, n in enumerate(ds.names) if ds.status(i) != "unlabelled"}


def evaluate(pred, truth, label_set: LabelSet | None = None, ignore_index: int | None = 255) -> Evaluation:
    """Score ``pred`` against ``truth`` (see the module docstring); ``ignore_index``: truth
    value left out (it may lie outside the classes, as CamVid's 11 does)."""
    notes: list[str] = []
    dataset = _dataset_truth(truth, label_set)
    if label_set is None:
        if dataset is not None:
            label_set = dataset[0].label_set
        else:
            label_set, where = classes_beside(truth, pred)
            if where is not None:
                notes.append(f"classes from {where}")
    preds = _maps(pred, "predictions")
    if dataset is not None:
        ds, index = dataset
        truths = {s: (ds, i) for s, i in index.items()}
    else:
        truths = _maps(truth, "ground truth")
    one_pred = isinstance(pred, np.ndarray) or Path(pred).is_file()
    one_truth = isinstance(truth, np.ndarray) or (dataset is None and Path(truth).is_file())
    if one_pred != one_truth:
        raise FormatError("--pred and --gt must both be files or both be folders")
    if one_pred:
        (stem, p), = preds.items()
        pairs = [(stem, next(iter(truths.values())), p)]
    else:
        common = sorted(preds.keys() & truths.keys())
        if not common:
            raise FormatError(f"no file stems in common between {pred} and {truth}")
        missing = sorted(truths.keys() - preds.keys())
        if missing:
            raise FormatError(f"no prediction for {len(missing)} ground-truth item(s), e.g. {missing[0]}")
        pairs = [(s, truths[s], preds[s]) for s in common]
    n = len(label_set)
    allow = (ignore_index,) if ignore_index is not None and 0 <= ignore_index < 256 else ()
    total = ConfusionMatrix(np.zeros((n, n), np.int64), np.zeros(n, np.int64))
    per_image = {}
    for stem, t, p in pairs:
        t_arr, t_name = _read(t, label_set, allow)
        p_arr, p_name = _read(p, label_set, ())
        t_arr, note_t = binary_mask_classes(t_arr, label_set, t_name, ignore_index)
        p_arr, note_p = binary_mask_classes(p_arr, label_set, p_name)
        notes += [x for x in (note_t, note_p) if x]
        if t_arr.shape != p_arr.shape:
            raise FormatError(f"{p_name}: mask is {p_arr.shape[1]}x{p_arr.shape[0]} but its ground truth "
                              f"{Path(t_name).name} is {t_arr.shape[1]}x{t_arr.shape[0]}")
        try:
            cm = confusion_matrix(t_arr, p_arr, n, ignore_index)
        except FormatError as e:
            raise FormatError(f"{t_name}: {e}") from None
        per_image[stem] = cm
        total = total + cm
    return Evaluation(total, per_image, label_set, notes)


def _read(src, label_set: LabelSet, allow) -> tuple[np.ndarray, str]:
    if isinstance(src, np.ndarray):
        return src, "the mask"
    if isinstance(src, tuple):
        ds, i = src
        return ds.read_labels(i), ds.names[i]
    return read_label_map(src, label_set, allow=allow), os.fspath(src)
