"""A mask object turned into a polygon at a tolerance in pixels.

The outline is Douglas-Peucker (``cv2.approxPolyDP``, ``epsilon`` = the tolerance) of the
mask's sub-pixel outline in the format's coordinates:

* COCO (pycocotools' rule): the pixel-edge staircase that pycocotools draws back exactly
  (:func:`~segcore.formats.regions.edge_polygons`), cut into unit steps, through the middle
  of each step. That curve lies between the centres of the pixels inside and outside, so its
  raster is the mask itself, and a tolerance of 1 px is one pixel from the boundary (on the
  staircase's own corners, which zigzag half a pixel either side of the boundary, Douglas-
  Peucker keeps two to three times as many vertices for the same fit). One part per piece.
* labelme (PIL's polygon with its outline): the 8-connected chain of the boundary pixels'
  centres, which labelme draws back onto the mask. One piece only: a labelme polygon is one
  shape.

Neither format's polygons hold holes (pycocotools unions the parts; a labelme polygon is one
ring), so holes are filled; the result says how many pixels that added. A piece too small for
three vertices after simplifying keeps its exact staircase.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import binary_fill_holes

from ..errors import PromptError
from ..formats.regions import edge_polygons
from .mask import ObjMask
from .polygon import Polygon

__all__ = ["Simplified", "mask_to_polygon", "staircase_vertices", "check_tolerance", "MAX_TOLERANCE"]

#: The largest tolerance accepted, in pixels.
MAX_TOLERANCE = 100.0


@dataclass(frozen=True)
class Simplified:
    """``polygon``; ``filled``: pixels of holes the polygon covers that the mask did not;
    ``holes``: how many holes those were; ``staircase``: vertices of the exact pixel-edge
    outline (what a mask object is written with in COCO)."""

    polygon: Polygon
    filled: int
    holes: int
    staircase: int


def check_tolerance(tolerance) -> float:
    try:
        t = float(tolerance)
    except (TypeError, ValueError):
        raise PromptError(f"the tolerance is a number of pixels above 0; got {tolerance!r}") from None
    if not 0 < t <= MAX_TOLERANCE:
        raise PromptError(f"the tolerance is a number of pixels above 0 and at most {MAX_TOLERANCE:g}; "
                          f"got {tolerance!r}")
    return t


def _unit_midpoints(stair: np.ndarray) -> np.ndarray:
    """A closed rectilinear polygon ``(N, 2)`` cut into unit steps; the middle of each step."""
    nxt = np.roll(stair, -1, axis=0)
    lengths = np.abs(nxt - stair).sum(1).round().astype(np.int64)
    keep = lengths > 0
    stair, nxt, lengths = stair[keep], nxt[keep], lengths[keep]
    t = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    step = (nxt - stair) / lengths[:, None]
    start = np.repeat(stair, lengths, axis=0) + np.repeat(step, lengths, axis=0) * t[:, None]
    return start + np.repeat(step, lengths, axis=0) / 2


def _dp(curve: np.ndarray, tolerance: float) -> np.ndarray:
    return cv2.approxPolyDP(curve.astype(np.float32).reshape(-1, 1, 2), tolerance, True).reshape(-1, 2)


def _points(a: np.ndarray) -> list[tuple[float, float]]:
    return [(round(float(x), 2), round(float(y), 2)) for x, y in a]


def staircase_vertices(mask: ObjMask) -> int:
    """Vertices of the mask's exact pixel-edge outline, holes filled (the "staircase" a mask
    object is written with as COCO polygons)."""
    filled = binary_fill_holes(mask.crop)
    return sum(len(p) for p in edge_polygons(filled))


def mask_to_polygon(mask: ObjMask, tolerance: float, rule: str = "coco") -> Simplified:
    """The polygon of ``mask`` at ``tolerance`` pixels by ``rule`` (module doc)."""
    tolerance = check_tolerance(tolerance)
    crop = mask.crop
    filled = binary_fill_holes(crop)
    extra = int(filled.sum()) - mask.area
    holes = 0
    if extra:
        holes = cv2.connectedComponents((filled & ~crop).astype(np.uint8), connectivity=4)[0] - 1
    x0, y0 = mask.box[0], mask.box[1]
    stairs = edge_polygons(filled, x0, y0)
    staircase = sum(len(p) for p in stairs)
    if rule == "coco":
        parts = []
        for stair in stairs:
            got = _dp(_unit_midpoints(stair), tolerance)
            parts.append(_points(got if len(np.unique(got, axis=0)) >= 3 else stair))
        return Simplified(Polygon(parts, "coco"), extra, holes, staircase)
    n = cv2.connectedComponents(filled.astype(np.uint8), connectivity=8)[0] - 1
    if n > 1:
        raise PromptError(f"this object has {n} separate pieces and a labelme polygon is one; "
                          "erase the others first")
    found, _ = cv2.findContours(filled.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    chain = max(found, key=len).reshape(-1, 2).astype(np.float64)
    got = _dp(chain, tolerance)
    if len(np.unique(got, axis=0)) < 3:
        got = cv2.approxPolyDP(chain.astype(np.int32).reshape(-1, 1, 2), 0, True).reshape(-1, 2)
    if len(np.unique(got, axis=0)) < 3:
        raise PromptError(f"this object is too thin or small ({mask.area} pixels) to be a polygon")
    return Simplified(Polygon([_points(got + (x0, y0))], "labelme"), extra, holes, staircase)
