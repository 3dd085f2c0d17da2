"""Magic wand: the connected region of similar colour around a click (OpenCV's flood fill).

As in X-AnyLabeling's and Label Studio's wand: the region grows from the clicked pixel to
8-connected neighbours whose colour is within ``tolerance`` of the clicked pixel's, per
channel (a fixed range, so a slow gradient does not leak across the whole photo).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import PromptError

__all__ = ["magic_wand"]


def magic_wand(rgb: np.ndarray, x: int, y: int, tolerance: int = 32) -> np.ndarray:
    """``(H, W)`` bool: the pixels connected to ``(x, y)`` within ``tolerance`` (0-255) of its colour."""
    H, W = rgb.shape[:2]
    x, y = int(round(float(x))), int(round(float(y)))
    if not (0 <= x < W and 0 <= y < H):
        raise PromptError(f"point {x},{y} is off the {W}x{H} image")
    tol = float(np.clip(tolerance, 0, 255))
    mask = np.zeros((H + 2, W + 2), np.uint8)
    flags = 8 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
    image = rgb if rgb.flags.writeable and rgb.flags.c_contiguous else rgb.copy()  # OpenCV asks for writable
    cv2.floodFill(image, mask, (x, y), (0, 0, 0), (tol,) * 3, (tol,) * 3, flags)
    return mask[1:-1, 1:-1].astype(bool)
