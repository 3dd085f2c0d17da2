"""Interactive, weight-free correction tools: clicks, scribbles and superpixel snapping.

* clicks: positive and negative clicks become discs of sure foreground / background, and
  GrabCut re-cuts the region starting from the current mask, so each click grows or cuts it;
* scribbles: brush strokes marked foreground / background are the seeds;
* superpixels: a rough stroke is widened to the SLIC superpixels it covers, so it follows
  object edges.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import PromptError
from ..models.grabcut import check_box, grabcut

__all__ = ["Click", "parse_points", "check_clicks", "click_radius", "click_seeds", "refine",
           "click_segment", "scribble_segment", "snap_to_superpixels"]

Click = tuple[int, int, bool]  # x, y, positive


def parse_points(text: str) -> list[Click]:
    """``"X,Y,L;X,Y,L"`` (L = 1 positive / foreground, 0 negative / background) to clicks."""
    clicks = []
    for part in (p.strip() for p in str(text).replace("\n", ";").split(";")):
        if not part:
            continue
        bits = [b.strip() for b in part.split(",")]
        if len(bits) != 3 or bits[2] not in ("0", "1"):
            raise PromptError(f"a point is X,Y,L with L 1 (foreground) or 0 (background); got {part!r}")
        try:
            clicks.append((int(round(float(bits[0]))), int(round(float(bits[1]))), bits[2] == "1"))
        except ValueError:
            raise PromptError(f"a point's X and Y must be numbers; got {part!r}") from None
    return clicks


def check_clicks(clicks, height: int, width: int) -> list[Click]:
    out = []
    for x, y, positive in clicks:
        if not (0 <= x < width and 0 <= y < height):
            raise PromptError(f"point {x},{y} is off the {width}x{height} image")
        out.append((int(x), int(y), bool(positive)))
    return out


def click_radius(shape: tuple[int, int]) -> int:
    """Disc radius of a click: 2.5% of the image diagonal (the best of 1.5-3% on portraits)."""
    return max(2, int(round(0.025 * float(np.hypot(*shape)))))


def click_seeds(shape: tuple[int, int], clicks, radius: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(fg, bg)`` bool seed masks: a disc per click."""
    r = click_radius(shape) if radius is None else radius
    fg = np.zeros(shape, np.uint8)
    bg = np.zeros(shape, np.uint8)
    for x, y, positive in clicks:
        cv2.circle(fg if positive else bg, (int(x), int(y)), r, 1, -1)
    return fg.astype(bool), bg.astype(bool)


def refine(rgb: np.ndarray, mask: np.ndarray, *, box=None, fg: np.ndarray | None = None,
           bg: np.ndarray | None = None, lab: bool = True) -> np.ndarray:
    """GrabCut from the current ``mask`` (probable fg / bg) with sure seeds; ``(H, W)`` bool."""
    return grabcut(rgb, box, init=mask, fg_seeds=fg, bg_seeds=bg, lab=lab)


def _region_update(labels: np.ndarray, new: np.ndarray, cls: int, scope: np.ndarray | None) -> np.ndarray:
    out = labels.copy()
    scope = np.ones(labels.shape, bool) if scope is None else scope
    out[scope & new] = cls
    out[scope & ~new & (labels == cls)] = 0
    return out


def click_segment(rgb: np.ndarray, labels: np.ndarray, clicks, cls: int, box=None,
                  person_model=None) -> np.ndarray:
    """Grow or cut class ``cls`` with clicks; returns new labels (removed pixels -> background).

    ``person_model``: a loaded ``selfie`` model, for a class that is a person: where the class
    is absent the model's mask is the start, and the model looks again around each click
    (see :meth:`segcore.models.selfie.SelfieSegmenter.click_mask`) instead of GrabCut.
    """
    H, W = labels.shape
    clicks = check_clicks(clicks, H, W)
    if not clicks:
        raise PromptError("give at least one point (X,Y,1 to add, X,Y,0 to remove)")
    if box is not None:
        box = check_box(box, H, W)
    if person_model is not None:
        start = labels == cls
        if not start.any():
            start = person_model.box_probability(rgb, box) >= 0.5
        new = person_model.click_mask(rgb, start, clicks, box=box)
        return _region_update(labels, new, cls, None)
    fg, bg = click_seeds((H, W), clicks)
    new = refine(rgb, labels == cls, box=box, fg=fg, bg=bg)
    return _region_update(labels, new, cls, None)


def scribble_segment(rgb: np.ndarray, labels: np.ndarray, fg: np.ndarray, bg: np.ndarray,
                     cls: int) -> np.ndarray:
    """Re-cut class ``cls`` around the strokes: ``fg`` strokes belong to it, ``bg`` strokes do not.

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
    return _region_update(labels, new, cls, scope)


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
