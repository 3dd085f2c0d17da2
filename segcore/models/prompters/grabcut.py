"""The weight-free prompter: OpenCV GrabCut on a window around the prompts.

GrabCut on the whole photo lets a click re-cut everything of similar colour (and costs about a
second at a megapixel); here it sees only a window around the prompts, so the candidate is
local by construction and a click costs a few tens of milliseconds at any photo size:

* a box: the box grown by a margin (outside the box is sure background, so the margin gives
  GrabCut the colours of the surroundings); the object is inside the box;
* the first points on an object that is labelled (``prior``), each positive one inside it: the
  object stays within its bounds and the points', grown by 5% a side. A first positive
  click inside a labelled object proposes that object as it is (GrabCut would only redraw its
  edge, spilling over neighbours); the next click, where the object is missing, grows it. A
  first negative click cuts within it. A first positive click off the object grows it: a window
  around the points, the object's pixels there the probable foreground;
* points alone, or a run's later points (the previous answer ``mask_input`` is the start): a
  window around them and the start; where the answer reaches the window's edge (not the
  photo's), the window doubles and GrabCut runs again (at most ``ATTEMPTS`` runs).

Positive points are discs of sure foreground, negative points discs of sure background;
``prior`` or ``mask_input`` (the previous click's answer) is the probable foreground.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...image import ImageInput, load
from ...prompts import check_box, click_radius, click_seeds
from ...segmentation import Segmentation
from ..grabcut import FOREGROUND_LABELS, default_box, grabcut
from ..segmenter import Segmenter
from .base import Prompter, PromptResult

__all__ = ["GrabCutPrompter", "GrabCutSegmenter", "search_area"]

LOGITS_SIDE = 256   # long side of the low-resolution logits handed back as mask_input
WINDOW = 0.2        # the least margin around points alone, a share of the photo's diagonal
ATTEMPTS = 3        # the window doubles while the answer reaches its edge, this many runs at most


def _grow(box, shape, mx: int, my: int):
    x0, y0, x1, y1 = box
    H, W = shape
    return max(0, x0 - mx), max(0, y0 - my), min(W, x1 + mx), min(H, y1 + my)


def _bounds(points, mask: np.ndarray | None):
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    if mask is not None and mask.any():
        py, px = np.nonzero(mask)
        xs += [int(px.min()), int(px.max())]
        ys += [int(py.min()), int(py.max())]
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


def search_area(shape, points=(), box=None, start: np.ndarray | None = None, grow: float = 1.0,
                labelled: bool = False):
    """``(window, limit)``: where GrabCut looks and the box the object must stay in (None: the
    window). A box is its own limit; points on an object that is labelled (``start``,
    ``labelled``) keep the answer within that object's bounds grown by 5% a side (and the
    points'); otherwise the window is the points' and ``start``'s bounds grown by half their
    extent and at least WINDOW of the photo's diagonal (``grow`` widens it)."""
    H, W = shape
    if box is not None:
        m = max(8, int(0.1 * max(box[2] - box[0], box[3] - box[1])))
        return _grow(box, shape, m, m), box
    b = _bounds(points, start)
    if labelled:
        w, h = b[2] - b[0], b[3] - b[1]
        limit = _grow(b, shape, max(2, int(0.05 * w)), max(2, int(0.05 * h)))
        m = max(8, int(0.15 * max(w, h)), 2 * click_radius(shape))
        return _grow(limit, shape, m, m), limit
    extent = max(b[2] - b[0], b[3] - b[1])
    m = int(max(0.5 * extent, WINDOW * float(np.hypot(H, W)), 4 * click_radius(shape)) * grow)
    return _grow(b, shape, m, m), None


class GrabCutPrompter(Prompter):
    """``predict(points, box, mask_input, prior)``: GrabCut's answer in a window; no weights."""

    name = "grabcut"

    def __init__(self, iterations: int = 3, max_side: int = 192, lab: bool = True,
                 box_iterations: int = 5, box_max_side: int = 256):
        super().__init__()
        self.iterations, self.max_side, self.lab = iterations, max_side, lab
        # A box is one prompt, not a run of clicks: more iterations, which it needs (3 left a
        # person in a box of a street photo all background, 5 found her).
        self.box_iterations, self.box_max_side = box_iterations, box_max_side

    def _set_image(self, rgb: np.ndarray) -> None:
        pass   # nothing to precompute: GrabCut learns its colour models per prompt

    def _predict(self, points, box, mask_input, multimask, prior) -> PromptResult:
        rgb = self._rgb
        H, W = rgb.shape[:2]
        start = None
        if mask_input is not None:
            start = cv2.resize(np.asarray(mask_input, np.float32), (W, H), interpolation=cv2.INTER_LINEAR) > 0
        elif prior is not None:
            start = np.asarray(prior, bool)
        fg, bg = click_seeds((H, W), points)
        on_labelled = mask_input is None and box is None and start is not None and start.any()
        # a first positive point off the labelled object grows it there: GrabCut looks around the
        # points, as for points alone, with the object's pixels in that window probable foreground
        grows = on_labelled and not all(start[y, x] for x, y, p in points if p)
        on_labelled = on_labelled and not grows
        if on_labelled:
            # The first click on an object that is labelled: positive points have nothing
            # to add (GrabCut would only redraw its edge); negative points cut within it.
            if all(p for *_, p in points):
                return PromptResult(start.copy(), 1.0, _logits(start))
            fg &= start
        mask = np.zeros((H, W), bool)
        for attempt in range(ATTEMPTS):
            win, limit = search_area((H, W), points, box, start if box is None and not grows else None,
                                     2.0 ** attempt, labelled=on_labelled)
            x0, y0, x1, y1 = win
            crop = (slice(y0, y1), slice(x0, x1))
            local = None if limit is None else (limit[0] - x0, limit[1] - y0, limit[2] - x0, limit[3] - y0)
            init = None if start is None or not start[crop].any() else start[crop]
            if init is None and local is None:
                init = np.zeros((y1 - y0, x1 - x0), bool)   # points alone: probable background
            boxed = box is not None
            sub = grabcut(rgb[crop], local, init=init, fg_seeds=fg[crop], bg_seeds=bg[crop],
                          iterations=self.box_iterations if boxed else self.iterations,
                          max_side=self.box_max_side if boxed else self.max_side, lab=self.lab)
            mask[:] = False
            mask[crop] = sub
            if limit is not None:
                inside = np.zeros((H, W), bool)
                inside[limit[1]:limit[3], limit[0]:limit[2]] = True
                mask &= inside & start if on_labelled else inside
                break
            # (what grows, not the object it grows from, decides whether the window was too small)
            if not _reaches_inner_edge(sub & ~init if grows else sub, win, (H, W)) or win == (0, 0, W, H):
                break
        if box is None and any(p for *_, p in points):
            mask = _touching(mask, fg)
        return PromptResult(mask, 1.0, _logits(mask))


def _touching(mask: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The connected parts of ``mask`` that a positive point's disc touches: the object
    pointed at, not every region of its colour in the window."""
    if not mask.any() or not seeds.any():
        return np.zeros_like(mask)
    _, comp = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    keep = np.unique(comp[seeds & mask])
    return np.isin(comp, keep[keep > 0])


def _reaches_inner_edge(sub: np.ndarray, win, shape) -> bool:
    """Whether the answer touches a side of the window that is not the photo's edge."""
    x0, y0, x1, y1 = win
    H, W = shape
    return bool((y0 > 0 and sub[0].any()) or (y1 < H and sub[-1].any()) or
                (x0 > 0 and sub[:, 0].any()) or (x1 < W and sub[:, -1].any()))


def _logits(mask: np.ndarray) -> np.ndarray:
    H, W = mask.shape
    f = min(1.0, LOGITS_SIDE / max(H, W))
    small = cv2.resize(mask.astype(np.float32), (max(1, round(W * f)), max(1, round(H * f))),
                       interpolation=cv2.INTER_AREA)
    return (small - 0.5) * 8.0


class GrabCutSegmenter(Segmenter):
    """A whole photo by GrabCut, no weights: the prompter's answer to a box (default: the centred
    box of :func:`~segcore.models.grabcut.default_box`), as a two-class Segmentation."""

    def __init__(self, spec=None):
        self.spec = spec

    @property
    def label_set(self):
        return self.spec.label_set if self.spec else FOREGROUND_LABELS

    def predict(self, image: ImageInput, *, box=None, scale=None) -> Segmentation:
        rgb = load(image)
        H, W = rgb.shape[:2]
        box = check_box(box, H, W) if box is not None else default_box(H, W)
        if box[2] - box[0] < 2 or box[3] - box[1] < 2:
            # Too small for a box with background around it (a 1x1 or 1-pixel-wide image):
            # nothing can be told apart, so the defined answer is all background.
            return Segmentation(np.zeros((H, W), np.uint8), self.label_set)
        prompter = GrabCutPrompter()
        prompter.set_image(rgb)
        return Segmentation(prompter.predict((), box).mask.astype(np.uint8), self.label_set)
