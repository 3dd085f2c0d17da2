"""A polygon's inside as a candidate region, rasterised exactly.

Vertices are image pixels ``(x, y)`` (the pixel clicked, as the canvas sends them). The region
is every pixel the closed polygon through those pixels' centres covers, its edges included
(OpenCV's ``fillPoly``, 8-connected edges, no anti-aliasing): a polygon of three clicked pixels
takes those pixels and everything between them, the same on every machine.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import PromptError

__all__ = ["polygon_region", "MAX_VERTICES"]

MAX_VERTICES = 10_000


def polygon_region(points, shape: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` bool: the inside of the polygon ``points`` (``[[x, y], ...]``, image pixels,
    at least three, on the image) with its edges."""
    H, W = shape
    try:
        pts = np.asarray(points, np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        raise PromptError("a polygon is a list of [x, y] points") from None
    if not np.isfinite(pts).all():
        raise PromptError("a polygon's points must be numbers")
    if len(pts) > MAX_VERTICES:
        raise PromptError(f"a polygon has at most {MAX_VERTICES} points, got {len(pts)}")
    pts = np.round(pts).astype(np.int32)
    off = (pts[:, 0] < 0) | (pts[:, 0] >= W) | (pts[:, 1] < 0) | (pts[:, 1] >= H)
    if off.any():
        x, y = pts[np.argmax(off)]
        raise PromptError(f"polygon point ({x}, {y}) is off the {W}x{H} image")
    if len(np.unique(pts, axis=0)) < 3:
        raise PromptError("a polygon needs at least three different points")
    out = np.zeros((H, W), np.uint8)
    cv2.fillPoly(out, [pts.reshape(-1, 1, 2)], 1, lineType=cv2.LINE_8)
    return out.astype(bool)
