"""Three-way merges of one item's labels: what a save started from (``base``), what it brings
(``mine``) and what is on disk now (``theirs``, another session's save or another program's).

Per pixel, for class maps: a pixel only one side changed takes that side's value; a pixel both
changed to the same value is no clash; a pixel both changed to different values clashes. The
merge never picks a winner silently: :func:`merge_labels` says where they clash, and the
caller either raises a conflict or applies the user's choice (``prefer="mine"`` or
``"theirs"``: that side's value on the clashing pixels, every other change of both sides kept).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import FormatError

__all__ = ["PixelMerge", "merge_labels", "box_of"]

PREFER = ("mine", "theirs")


@dataclass
class PixelMerge:
    """``labels``: ``(H, W)`` uint8, the merge (on clashing pixels: the preferred side, mine
    where none is); ``clash``: ``(H, W)`` bool where both sides changed a pixel differently,
    None where they do not; ``mine`` / ``theirs``: pixels each side changed from the base."""

    labels: np.ndarray
    clash: np.ndarray | None
    mine: int
    theirs: int

    @property
    def clashing(self) -> int:
        return 0 if self.clash is None else int(self.clash.sum())


def merge_labels(base: np.ndarray, mine: np.ndarray, theirs: np.ndarray,
                 prefer: str | None = None) -> PixelMerge:
    """Merge two edits of one ``(H, W)`` uint8 label map made from ``base``."""
    if prefer is not None and prefer not in PREFER:
        raise ValueError(f"prefer is one of {PREFER}, not {prefer!r}")
    if not base.shape == mine.shape == theirs.shape:
        raise FormatError(f"the labels on disk are {theirs.shape[1]}x{theirs.shape[0]}, this edit's "
                          f"{mine.shape[1]}x{mine.shape[0]}: they cannot be merged")
    m = mine != base
    t = theirs != base
    n_m, n_t = int(np.count_nonzero(m)), int(np.count_nonzero(t))
    if not n_t:
        return PixelMerge(mine.copy(), None, n_m, 0)
    if not n_m:
        return PixelMerge(theirs.copy(), None, 0, n_t)
    both = m & t
    clash = both & (mine != theirs)
    if prefer == "theirs":
        labels = np.where(t, theirs, mine)
    else:
        labels = np.where(m, mine, theirs)
    return PixelMerge(labels.astype(np.uint8, copy=False), clash if clash.any() else None, n_m, n_t)


def box_of(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` (end exclusive) of a ``(H, W)`` bool mask; None if empty."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not rows.size:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
