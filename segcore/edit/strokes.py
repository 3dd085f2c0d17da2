"""Brush strokes as the browser sends them (polylines in image pixels), drawn onto a label map.

A stroke is ``{"points": [[x, y], ...], "radius": r, "cls": k}`` (``"erase": true`` for the
eraser). Strokes are rasterised here, pixel-exact and without anti-aliasing (OpenCV's 8-connected
every pixel within the brush radius of the line, by a distance transform), so every pixel under the brush takes the class: no gaps along
the edges, which a canvas's anti-aliased alpha would leave.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import PromptError

__all__ = ["check_strokes", "paint_strokes", "stroke_footprint"]

MAX_POINTS = 100_000


def check_strokes(strokes) -> list[dict]:
    """Validate strokes from a browser or an API client; one-line errors for bad ones."""
    if strokes is None:
        return []
    if not isinstance(strokes, (list, tuple)):
        raise PromptError("strokes are a list of {points: [[x, y], ...], radius, cls}")
    out, total = [], 0
    for k, s in enumerate(strokes):
        try:
            pts = np.asarray(s["points"], np.float64).reshape(-1, 2)
            radius = float(s.get("radius", 8))
            erase = bool(s.get("erase", False))
            cls = None if erase else int(s["cls"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise PromptError(f"stroke {k + 1} needs points [[x, y], ...], a radius and a class") from None
        if not len(pts) or not np.isfinite(pts).all() or not np.isfinite(radius) or radius < 0:
            raise PromptError(f"stroke {k + 1} has no points or a bad radius")
        total += len(pts)
        if total > MAX_POINTS:
            raise PromptError(f"too many stroke points (over {MAX_POINTS}); apply strokes more often")
        out.append({"points": np.round(pts).astype(np.int32), "radius": radius, "cls": cls, "erase": erase})
    return out


def paint_strokes(labels: np.ndarray, strokes, num_classes: int, void_index: int = 255,
                  erase_to: int = 255, writable: np.ndarray | None = None,
                  erasable: np.ndarray | None = None) -> np.ndarray:
    """A new label map with ``strokes`` painted in order (later strokes over earlier ones).

    ``erase_to``: what the eraser writes (void by default). ``writable`` / ``erasable``:
    ``(H, W)`` bool, the pixels brush / eraser strokes may change (the overwrite rule)."""
    strokes = check_strokes(strokes)
    out = labels.copy()
    for s in strokes:
        value = erase_to if s["erase"] else s["cls"]
        if value != void_index and not 0 <= value < num_classes:
            raise PromptError(f"class {value} is not one of the {num_classes} classes")
        footprint, (x0, y0) = stroke_footprint(s["points"], s["radius"], out.shape)
        if footprint is not None:
            sl = (slice(y0, y0 + footprint.shape[0]), slice(x0, x0 + footprint.shape[1]))
            allowed = erasable if s["erase"] else writable
            if allowed is not None:
                footprint = footprint & allowed[sl]
            out[sl][footprint] = value
    return out


def stroke_footprint(points: np.ndarray, radius: float, shape) -> tuple[np.ndarray | None, tuple[int, int]]:
    """Pixels whose centre lies within ``radius`` of the polyline (Euclidean, exact), on the
    stroke's bounding box: the 1-pixel line is drawn, then a distance transform widens it."""
    H, W = shape
    pad = int(np.ceil(radius)) + 1
    x0, y0 = max(0, int(points[:, 0].min()) - pad), max(0, int(points[:, 1].min()) - pad)
    x1, y1 = min(W, int(points[:, 0].max()) + pad + 1), min(H, int(points[:, 1].max()) + pad + 1)
    if x0 >= x1 or y0 >= y1:
        return None, (0, 0)
    line = np.full((y1 - y0, x1 - x0), 255, np.uint8)
    local = (points - [x0, y0]).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(line, [local], False, 0, thickness=1, lineType=cv2.LINE_8)
    if len(points) == 1:
        cv2.circle(line, tuple(int(v) for v in local[0, 0]), 0, 0, -1)
    dist = cv2.distanceTransform(line, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return dist <= radius + 1e-6, (x0, y0)
