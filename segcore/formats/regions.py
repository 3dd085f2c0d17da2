"""Connected regions of a label map and their outlines, shared by the COCO and labelme writers.

Two outline conventions, one per format's reader:

* ``edge_polygons`` follow pixel *edges* (pixel ``(x, y)`` spans ``[x, x+1] x [y, y+1]``), the
  COCO convention: pycocotools samples each pixel at its centre, so these rasterise back to
  exactly the region. OpenCV traces pixel centres only, so we trace a 2x nearest-upsampled
  mask, where every boundary sub-pixel lies on the first or last sub-pixel of an original
  pixel, and snap it to that pixel's outer edge: ``u -> (u + (u & 1)) / 2``.
* ``centre_polygon`` follows the centres of the boundary pixels, the labelme convention:
  labelme fills polygons with PIL including the outline, which covers those pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np

__all__ = ["Region", "regions", "edge_polygons", "centre_polygon", "has_holes"]


@dataclass(frozen=True)
class Region:
    """One 8-connected region of one class: ``mask`` is the bool crop at ``(x0, y0)``."""

    label: int
    mask: np.ndarray
    x0: int
    y0: int

    def full_mask(self, shape: tuple[int, int]) -> np.ndarray:
        out = np.zeros(shape, bool)
        h, w = self.mask.shape
        out[self.y0:self.y0 + h, self.x0:self.x0 + w] = self.mask
        return out


def regions(labels: np.ndarray, skip: tuple[int, ...] = (0,)) -> Iterator[Region]:
    """Every 8-connected region of every label not in ``skip``, in label then scan order."""
    for label in np.unique(labels):
        if int(label) in skip:
            continue
        mask = (labels == label).astype(np.uint8)
        n, comp, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for k in range(1, n):
            x, y, w, h = stats[k, :4]
            crop = comp[y:y + h, x:x + w] == k
            yield Region(int(label), crop, int(x), int(y))


def has_holes(mask: np.ndarray) -> bool:
    """Whether a region encloses pixels that are not its own (4-connected background)."""
    m = np.pad(mask.astype(np.uint8), 1)
    _, hierarchy = cv2.findContours(m, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    return hierarchy is not None and bool((hierarchy[0][:, 3] >= 0).any())


def edge_polygons(mask: np.ndarray, x0: int = 0, y0: int = 0) -> list[np.ndarray]:
    """Outer outlines along pixel edges, ``(N, 2)`` float ``(x, y)`` vertices, offset by x0, y0."""
    up = np.repeat(np.repeat(np.pad(mask.astype(np.uint8), 1), 2, axis=0), 2, axis=1)
    contours, _ = cv2.findContours(up, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polys = []
    for c in contours:
        u = c[:, 0, :].astype(np.int64)
        p = (u + (u & 1)) // 2 - 1          # snap to the pixel edge, undo the 1-pixel pad
        keep = np.ones(len(p), bool)
        keep[1:] = np.any(p[1:] != p[:-1], axis=1)
        if len(p) > 1 and np.array_equal(p[0], p[-1]):
            keep[-1] = False
        p = p[keep]
        if len(p) >= 3:
            polys.append(p.astype(np.float64) + (x0, y0))
    return polys


def centre_polygon(mask: np.ndarray, x0: int = 0, y0: int = 0) -> np.ndarray:
    """The outer outline of a region through its boundary pixels' centres, ``(N, 2)`` int."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    c = max(contours, key=len)[:, 0, :]
    return c.astype(np.int64) + (x0, y0)
