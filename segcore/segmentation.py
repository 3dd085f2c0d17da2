"""The result type: a label map with its label set and an optional confidence map."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .labels import LabelSet

__all__ = ["Segmentation"]


@dataclass(frozen=True, eq=False)
class Segmentation:
    """``labels``: ``(H, W)`` uint8 class indices (``label_set.void_index`` = void).

    ``confidence``: optional ``(H, W)`` float32 in [0, 1], the winning class's probability.
    Immutable in spirit: edits return a new Segmentation (``with_labels``), so the old one
    can be kept for undo.
    """

    labels: np.ndarray
    label_set: LabelSet
    confidence: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        labels = np.ascontiguousarray(self.labels)
        if labels.ndim != 2 or labels.dtype != np.uint8:
            raise ValueError(f"labels must be (H, W) uint8, got {labels.shape} {labels.dtype}")
        if self.confidence is not None and self.confidence.shape != labels.shape:
            raise ValueError("confidence must have the shape of labels")
        labels.setflags(write=False)
        object.__setattr__(self, "labels", labels)

    @property
    def shape(self) -> tuple[int, int]:
        return self.labels.shape  # type: ignore[return-value]

    def with_labels(self, labels: np.ndarray) -> "Segmentation":
        """A new Segmentation with edited labels (confidence is dropped: it no longer applies)."""
        return Segmentation(np.asarray(labels, dtype=np.uint8), self.label_set)

    def class_shares(self) -> list[tuple[int, str, float]]:
        """``(index, name, share of the image)`` for each class present, largest first."""
        counts = np.bincount(self.labels.ravel(), minlength=256)
        total = self.labels.size
        rows = []
        for idx in np.flatnonzero(counts):
            name = "void" if idx == self.label_set.void_index else (
                self.label_set.names[idx] if idx < len(self.label_set) else f"class {idx}")
            rows.append((int(idx), name, float(counts[idx]) / total))
        rows.sort(key=lambda r: -r[2])
        return rows

    def mask_of(self, index: int) -> np.ndarray:
        """``(H, W)`` bool mask of one class."""
        return self.labels == index
