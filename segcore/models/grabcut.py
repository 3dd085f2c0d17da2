"""OpenCV GrabCut, the algorithm: a foreground mask from a box and/or seeds. The model that uses
it (clicks and boxes, or a whole photo from a centred box) is
:class:`~segcore.models.prompters.grabcut.GrabCutPrompter`; the portrait tools seed it with a face.

GrabCut runs on a copy downscaled to ``max_side`` (its cost grows with pixels and the result
is smooth anyway); the foreground mask is brought back to full size by bilinear interpolation
and a 0.5 threshold, so edges are not blocky.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import PromptError
from ..labels import LabelSet
from ..prompts import check_box

__all__ = ["grabcut", "default_box", "check_box", "FOREGROUND_LABELS"]

FOREGROUND_LABELS = LabelSet(("background", "foreground"), ((0, 0, 0), (192, 128, 128)))


def default_box(height: int, width: int) -> tuple[int, int, int, int]:
    """The automatic start: horizontally centred, 10% margins at the sides, 5% at the top and
    open at the bottom, where portraits and most object photos rest. ``(x0, y0, x1, y1)``."""
    return (int(0.10 * width), int(0.05 * height), max(int(0.90 * width), 1), height)


def grabcut(rgb: np.ndarray, box=None, *, init: np.ndarray | None = None,
            fg_seeds: np.ndarray | None = None, bg_seeds: np.ndarray | None = None,
            iterations: int = 5, max_side: int = 512, lab: bool = False) -> np.ndarray:
    """Foreground mask ``(H, W)`` bool of RGB uint8 ``rgb``.

    ``box``: ``(x0, y0, x1, y1)``; outside it is sure background, inside probable foreground.
    ``init``: ``(H, W)`` bool, a current mask to start from (probable fg/bg) instead of a box.
    ``fg_seeds`` / ``bg_seeds``: ``(H, W)`` bool, sure foreground / background (clicks, strokes).
    ``lab``: model colours in CIE Lab, where distances follow perceived differences (it
    separated people from backgrounds better than RGB on our portrait measurements).
    """
    H, W = rgb.shape[:2]
    codes = np.full((H, W), cv2.GC_PR_BGD, dtype=np.uint8)
    if init is not None:
        codes[init.astype(bool)] = cv2.GC_PR_FGD
        if box is not None:
            x0, y0, x1, y1 = check_box(box, H, W)
            outside = np.ones((H, W), bool)
            outside[y0:y1, x0:x1] = False
            codes[outside] = cv2.GC_BGD
    else:
        if box is None:
            dx0, dy0, dx1, dy1 = default_box(H, W)
            if dx1 - dx0 < 2 or dy1 - dy0 < 2:
                # Too small for a box with background around it (a 1x1 or 1-pixel-wide image):
                # nothing can be told apart, so the defined answer is all background.
                return np.zeros((H, W), bool)
        x0, y0, x1, y1 = check_box(box if box is not None else default_box(H, W), H, W)
        codes[:] = cv2.GC_BGD
        codes[y0:y1, x0:x1] = cv2.GC_PR_FGD
    f = min(1.0, max_side / max(H, W))
    h, w = max(1, round(H * f)), max(1, round(W * f))
    small = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA) if f < 1 else rgb
    codes_s = cv2.resize(codes, (w, h), interpolation=cv2.INTER_NEAREST) if f < 1 else codes.copy()
    # Thin seeds must survive the downscale: any coverage of a small pixel keeps the seed.
    for seeds, code in ((bg_seeds, cv2.GC_BGD), (fg_seeds, cv2.GC_FGD)):
        if seeds is not None and seeds.any():
            s = seeds.astype(np.uint8)
            s = cv2.resize(s, (w, h), interpolation=cv2.INTER_AREA) > 0 if f < 1 else s > 0
            codes_s[s] = code
    fg_possible = np.isin(codes_s, (cv2.GC_FGD, cv2.GC_PR_FGD))
    bg_possible = np.isin(codes_s, (cv2.GC_BGD, cv2.GC_PR_BGD))
    if not fg_possible.any():
        return np.zeros((H, W), bool)
    if not bg_possible.any():
        raise PromptError("the prompt leaves no background to learn from; draw a box inside the "
                          "image or add a background click")
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    if lab:
        small = cv2.cvtColor(small, cv2.COLOR_RGB2LAB)
    # GrabCut seeds its k-means from OpenCV's global RNG, which other calls advance: seed it
    # so the same prompt always gives the same mask.
    cv2.setRNGSeed(0)
    cv2.grabCut(np.ascontiguousarray(small), codes_s, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    fg = np.isin(codes_s, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
    if f < 1:
        fg = cv2.resize(fg, (W, H), interpolation=cv2.INTER_LINEAR)
    mask = fg >= 0.5
    # Sure seeds given at full resolution win over what the downscaled solve decided.
    if fg_seeds is not None:
        mask |= fg_seeds.astype(bool)
    if bg_seeds is not None:
        mask &= ~bg_seeds.astype(bool)
    return mask
