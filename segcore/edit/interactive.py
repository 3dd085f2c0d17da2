"""Weight-free correction helpers: GrabCut refinement, scribbles and superpixel snapping.

(Clicks and boxes are prompts to a :class:`~segcore.models.prompters.Prompter`, applied by
:class:`~segcore.edit.EditSession`.)

* scribbles: brush strokes marked foreground / background are the seeds;
* superpixels: a rough stroke is widened to the SLIC superpixels it covers, so it follows
  object edges.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import PromptError
from ..models.grabcut import grabcut
from ..prompts import Point, check_points, click_radius, click_seeds, parse_points

__all__ = ["Click", "parse_points", "check_clicks", "click_radius", "click_seeds", "refine",
           "scribble_segment", "snap_to_superpixels"]

Click = Point  # x, y, positive
check_clicks = check_points


def refine(rgb: np.ndarray, mask: np.ndarray, *, box=None, fg: np.ndarray | None = None,
           bg: np.ndarray | None = None, lab: bool = True) -> np.ndarray:
    """GrabCut from the current ``mask`` (probable fg / bg) with sure seeds; ``(H, W)`` bool."""
    return grabcut(rgb, box, init=mask, fg_seeds=fg, bg_seeds=bg, lab=lab)


def _region_update(labels: np.ndarray, new: np.ndarray, cls: int, scope: np.ndarray, erase_to: int) -> np.ndarray:
    out = labels.copy()
    out[scope & new] = cls
    out[scope & ~new & (labels == cls)] = erase_to
    return out


def scribble_segment(rgb: np.ndarray, labels: np.ndarray, fg: np.ndarray, bg: np.ndarray,
                     cls: int, erase_to: int = 255) -> np.ndarray:
    """Re-cut class ``cls`` around the strokes: ``fg`` strokes belong to it, ``bg`` strokes do
    not (pixels it loses take ``erase_to``, void by default).

    Only a box around the strokes, grown by half their larger extent on each side, can change.
    Inside it everything starts as probable ``cls`` (GrabCut's box convention), so the colour
    model of the class is learnt from the area the user marked, not from the stroke alone.
    """
    if not fg.any():
        raise PromptError("paint at least one stroke in the class's colour")
    ys, xs = np.nonzero(fg | bg)
    H, W = labels.shape
    pad = max(ys.max() - ys.min(), xs.max() - xs.min()) // 2 + 8
    box = (max(0, xs.min() - pad), max(0, ys.min() - pad), min(W, xs.max() + pad + 1), min(H, ys.max() + pad + 1))
    scope = np.zeros((H, W), bool)
    scope[box[1]:box[3], box[0]:box[2]] = True
    new = refine(rgb, scope & ~bg, box=box, fg=fg, bg=bg)
    return _region_update(labels, new, cls, scope, erase_to)


def snap_to_superpixels(rgb: np.ndarray, stroke: np.ndarray, segment_px: int = 400,
                        min_cover: float = 0.0) -> np.ndarray:
    """Widen a stroke to the SLIC superpixels it touches (covers more than ``min_cover`` of).
    Superpixels of about ``segment_px`` pixels; SLIC runs only on the stroke's surroundings."""
    from skimage.segmentation import slic

    if not stroke.any():
        return stroke.copy()
    H, W = stroke.shape
    ys, xs = np.nonzero(stroke)
    pad = int(3 * np.sqrt(segment_px))
    y0, y1 = max(0, ys.min() - pad), min(H, ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(W, xs.max() + pad + 1)
    crop = rgb[y0:y1, x0:x1]
    n = max(4, crop.shape[0] * crop.shape[1] // segment_px)
    sp = slic(crop, n_segments=n, compactness=10, start_label=0)
    s = stroke[y0:y1, x0:x1]
    touched = np.bincount(sp[s], minlength=sp.max() + 1)
    size = np.bincount(sp.ravel(), minlength=sp.max() + 1)
    keep = touched > min_cover * size
    out = np.zeros((H, W), bool)
    out[y0:y1, x0:x1] = keep[sp] | s
    return out
