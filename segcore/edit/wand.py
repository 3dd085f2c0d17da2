"""Magic wand: the connected region of similar colour around a click (OpenCV's flood fill).

As in X-AnyLabeling's and Label Studio's wand: the region grows from the clicked pixel to
8-connected neighbours whose colour is within ``tolerance`` of the clicked pixel's, per
channel (a fixed range, so a slow gradient does not leak across the whole photo).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import PromptError
from ..prompts import check_points

__all__ = ["magic_wand", "auto_tolerance", "check_tolerance"]


def check_tolerance(tolerance) -> float:
    """A wand tolerance from a user or API client: a number from 0 to 255, else one line."""
    try:
        tol = float(tolerance)
    except (TypeError, ValueError):
        tol = float("nan")
    if isinstance(tolerance, bool) or not 0 <= tol <= 255:
        raise PromptError(f"the wand's tolerance is a number from 0 to 255; got {tolerance!r}")
    return tol


def magic_wand(rgb: np.ndarray, x, y, tolerance=16, within: np.ndarray | None = None) -> np.ndarray:
    """``(H, W)`` bool: the pixels connected to ``(x, y)`` within ``tolerance`` (0-255) of its
    colour. ``within``: ``(H, W)`` bool, the pixels the region may cover (it does not grow
    through the others); a click on a pixel outside it gives an empty region."""
    H, W = rgb.shape[:2]
    ((x, y, _),) = check_points([(x, y, True)], H, W)
    tol = check_tolerance(tolerance)
    mask = np.zeros((H + 2, W + 2), np.uint8)
    if within is not None:
        if not within[y, x]:
            return np.zeros((H, W), bool)
        mask[1:-1, 1:-1] = ~np.asarray(within, bool)       # non-zero mask pixels stop the fill
    flags = 8 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (2 << 8)
    image = rgb if rgb.flags.writeable and rgb.flags.c_contiguous else rgb.copy()  # OpenCV asks for writable
    cv2.floodFill(image, mask, (x, y), (0, 0, 0), (tol,) * 3, (tol,) * 3, flags)
    return mask[1:-1, 1:-1] == 2


def auto_tolerance(rgb: np.ndarray) -> int:
    """A starting tolerance for this photo: a multiple of its noise level (the median
    absolute difference of neighbouring pixels), clipped to 4-24. Measured on camvid-20 and
    coco-24 objects in tests/bench/bench_wand.py."""
    side = max(rgb.shape[:2])
    if side > 4096:
        # A big photo: every k-th pixel, about 1024 on the longer side (20 ms at 48 MP, where
        # the area average read all 48 MP in 0.25 s); its noise is the one the wand meets
        # between neighbouring pixels at full resolution.
        rgb = np.ascontiguousarray(rgb[::side // 1024, ::side // 1024])
        side = max(rgb.shape[:2])
    small = rgb if side <= 1024 else cv2.resize(
        rgb, None, fx=1024 / side, fy=1024 / side, interpolation=cv2.INTER_AREA)
    g = small.astype(np.int16)
    d = np.concatenate([np.abs(np.diff(g, axis=0)).max(2).ravel(), np.abs(np.diff(g, axis=1)).max(2).ravel()])
    return int(np.clip(round(TOLERANCE_PER_NOISE * float(np.median(d))), 4, 24))


#: Tolerance per unit of noise level (see auto_tolerance), from tests/bench/bench_wand.py on 219
#: objects of camvid-20 and coco-24: 4x keeps 91% of a click's region inside its object (8.7%
#: of clicks leak past half) at IoU 0.22, where the old fixed 32 kept 51% (49% leak) and a
#: fixed 16 kept 82% (17% leak) at IoU 0.25; 5x and more leak twice as often.
TOLERANCE_PER_NOISE = 4.0
