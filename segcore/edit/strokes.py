"""Brush strokes as the browser sends them (polylines in image pixels), drawn onto a label map.

A stroke is ``{"points": [[x, y], ...], "radius": r, "cls": k}`` (``"erase": true`` for the
eraser). Strokes are rasterised here, pixel-exact and without anti-aliasing (OpenCV's 8-connected
thick lines with round ends), so every pixel under the brush takes the class: no gaps along
the edges, which a canvas's anti-aliased alpha would leave.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import PromptError

__all__ = ["check_strokes", "paint_strokes"]

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
                  erase_to: int = 0) -> np.ndarray:
    """A new label map with ``strokes`` painted in order (later strokes over earlier ones)."""
    strokes = check_strokes(strokes)
    out = labels.copy()
    for s in strokes:
        value = erase_to if s["erase"] else s["cls"]
        if value != void_index and not 0 <= value < num_classes:
            raise PromptError(f"class {value} is not one of the {num_classes} classes")
        r = max(0, int(round(s["radius"])))
        pts = s["points"]
        footprint = np.zeros(out.shape, np.uint8)
        if len(pts) == 1:
            cv2.circle(footprint, tuple(int(v) for v in pts[0]), r, 1, -1, lineType=cv2.LINE_8)
        else:
            cv2.polylines(footprint, [pts.reshape(-1, 1, 2)], False, 1, thickness=2 * r + 1, lineType=cv2.LINE_8)
            for p in (pts[0], pts[-1]):
                cv2.circle(footprint, tuple(int(v) for v in p), r, 1, -1, lineType=cv2.LINE_8)
        out[footprint.astype(bool)] = value
    return out
