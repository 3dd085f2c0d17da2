"""Mask edits. Each takes a label map ``(H, W)`` uint8 and returns a new one."""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import binary_fill_holes


__all__ = ["fill_holes", "remove_islands", "replace_class"]


def fill_holes(labels: np.ndarray, cls: int) -> np.ndarray:
    """Every pixel enclosed by class ``cls`` becomes ``cls``."""
    out = labels.copy()
    out[binary_fill_holes(labels == cls)] = cls
    return out


def remove_islands(labels: np.ndarray, min_size: int, cls: int | None = None) -> np.ndarray:
    """Regions smaller than ``min_size`` pixels (of ``cls``, or of any class) take the most
    common label around them."""
    out = labels.copy()
    classes = [cls] if cls is not None else [int(c) for c in np.unique(labels)]
    kernel = np.ones((3, 3), np.uint8)
    for c in classes:
        n, comp, stats, _ = cv2.connectedComponentsWithStats((labels == c).astype(np.uint8), connectivity=8)
        for k in np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] < min_size) + 1:
            x, y, w, h = stats[k, :4]
            y0, y1, x0, x1 = max(y - 1, 0), y + h + 1, max(x - 1, 0), x + w + 1
            island = comp[y0:y1, x0:x1] == k
            ring = cv2.dilate(island.astype(np.uint8), kernel).astype(bool) & ~island
            around = out[y0:y1, x0:x1][ring]
            if around.size:
                out[y0:y1, x0:x1][island] = np.bincount(around, minlength=256).argmax()
    return out


def replace_class(labels: np.ndarray, src: int, dst: int) -> np.ndarray:
    out = labels.copy()
    out[labels == src] = dst
    return out
