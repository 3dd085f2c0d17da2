"""Segmentation metrics from one confusion matrix.

``confusion_matrix`` counts ``(truth, prediction)`` pairs with one ``bincount``; pixels whose
truth is the ignore index are left out. A prediction outside the classes (void) on a labelled
pixel counts as a miss of the true class (in ``unassigned``), as mmseg counts it.
Means are taken over the classes present in truth or prediction; a class absent from both
is left out, not counted as 0 or 1. Over a dataset, matrices are summed (the standard way).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import FormatError

__all__ = ["ConfusionMatrix", "confusion_matrix", "evaluate"]


@dataclass
class ConfusionMatrix:
    """``matrix[t, p]``: pixels of true class t predicted as p; ``unassigned[t]``: predicted void."""

    matrix: np.ndarray
    unassigned: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self):
        if self.unassigned is None:
            self.unassigned = np.zeros(self.matrix.shape[0], np.int64)

    def __add__(self, other: "ConfusionMatrix") -> "ConfusionMatrix":
        return ConfusionMatrix(self.matrix + other.matrix, self.unassigned + other.unassigned)

    # per class -------------------------------------------------------------------------
    @property
    def tp(self) -> np.ndarray:
        return np.diag(self.matrix).astype(np.float64)

    @property
    def support(self) -> np.ndarray:
        """True pixels per class (ground truth count)."""
        return self.matrix.sum(1).astype(np.float64) + self.unassigned

    @property
    def predicted(self) -> np.ndarray:
        return self.matrix.sum(0).astype(np.float64)

    def _div(self, a, b):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)

    def iou(self) -> np.ndarray:
        return self._div(self.tp, self.support + self.predicted - self.tp)

    def dice(self) -> np.ndarray:
        return self._div(2 * self.tp, self.support + self.predicted)

    def precision(self) -> np.ndarray:
        return self._div(self.tp, self.predicted)

    def recall(self) -> np.ndarray:
        return self._div(self.tp, self.support)

    # summaries -------------------------------------------------------------------------
    def present(self) -> np.ndarray:
        return (self.support + self.predicted) > 0

    def pixel_accuracy(self) -> float:
        total = self.support.sum()
        return float(self.tp.sum() / total) if total else float("nan")

    def mean_accuracy(self) -> float:
        r = self.recall()[self.support > 0]
        return float(r.mean()) if r.size else float("nan")

    def miou(self) -> float:
        v = self.iou()[self.present()]
        return float(v.mean()) if v.size else float("nan")

    def fwiou(self) -> float:
        total = self.support.sum()
        if not total:
            return float("nan")
        freq = self.support / total
        iou = np.nan_to_num(self.iou())
        return float((freq * iou).sum())

    def mean_dice(self) -> float:
        v = self.dice()[self.present()]
        return float(v.mean()) if v.size else float("nan")

    def report(self, names) -> dict:
        """Everything, JSON-ready (NaN becomes None)."""
        def num(v):
            return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)

        iou, dice, prec, rec = self.iou(), self.dice(), self.precision(), self.recall()
        per_class = {}
        for i, name in enumerate(names):
            if not self.present()[i]:
                continue
            per_class[name] = {"iou": num(iou[i]), "dice": num(dice[i]), "precision": num(prec[i]),
                               "recall": num(rec[i]), "support": int(self.support[i])}
        return {
            "pixel_accuracy": num(self.pixel_accuracy()), "mean_accuracy": num(self.mean_accuracy()),
            "miou": num(self.miou()), "fwiou": num(self.fwiou()), "mean_dice": num(self.mean_dice()),
            "per_class": per_class, "confusion_matrix": self.matrix.tolist(),
            "unassigned": self.unassigned.tolist(),
        }


def confusion_matrix(truth: np.ndarray, pred: np.ndarray, num_classes: int,
                     ignore_index: int | None = 255) -> ConfusionMatrix:
    """Confusion of two uint8 label maps of the same shape."""
    if truth.shape != pred.shape:
        raise FormatError(f"truth {truth.shape[::-1]} and prediction {pred.shape[::-1]} differ in size")
    n = num_classes
    # One bincount over the joint code truth*256 + pred: every (truth, pred) pair of uint8
    # values at once, no masking passes; rows and columns are then sliced out.
    code = truth.astype(np.uint16, copy=False).ravel() << 8
    code |= pred.astype(np.uint8, copy=False).ravel()
    table = np.bincount(code, minlength=65536).reshape(256, 256)
    if ignore_index is not None and 0 <= ignore_index < 256:
        table[ignore_index] = 0
    stray = np.flatnonzero(table[n:].sum(1)) + n
    if stray.size:
        raise FormatError(f"truth has values {stray[:5].tolist()} outside the {n} classes")
    return ConfusionMatrix(table[:n, :n].astype(np.int64), table[:n, n:].sum(1).astype(np.int64))


def evaluate(pairs, num_classes: int, ignore_index: int | None = 255):
    """Sum the confusion over ``(truth, pred)`` pairs; returns ``(total, per_image list)``."""
    per_image = [confusion_matrix(t, p, num_classes, ignore_index) for t, p in pairs]
    total = ConfusionMatrix(np.zeros((num_classes, num_classes), np.int64), np.zeros(num_classes, np.int64))
    for cm in per_image:
        total = total + cm
    return total, per_image
