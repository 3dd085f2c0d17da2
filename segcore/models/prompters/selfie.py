"""The selfie person model as a prompter: MediaPipe's person probability, refined by clicks.

``set_image`` runs the model over the photo once (its person probability is cached);
``predict`` starts from the previous answer (``mask_input``), else the object as labelled
(``prior``), else the person mask, keeps the connected parts that hold a positive point (the
person pointed at, not every person in the photo) and lets each point refine it with the
model's look at a window around it (see ``SelfieSegmenter.click_mask``).
"""

from __future__ import annotations

import cv2
import numpy as np

from .base import Prompter, PromptResult
from .grabcut import _logits

__all__ = ["SelfiePrompter"]


class SelfiePrompter(Prompter):
    name = "selfie"

    def __init__(self, model):
        super().__init__()
        self.model = model          # a loaded SelfieSegmenter (shared; its nets take turns)
        self._prob: np.ndarray | None = None

    def _set_image(self, rgb: np.ndarray) -> None:
        self._prob = self.model.probability(rgb)

    def _predict(self, points, box, mask_input, multimask, prior) -> PromptResult:
        rgb = self._rgb
        H, W = rgb.shape[:2]
        prob = self._prob
        if box is not None:
            inside = np.zeros((H, W), bool)
            inside[box[1]:box[3], box[0]:box[2]] = True
            prob = np.where(inside, prob, 0.0)
        if mask_input is not None:
            start = cv2.resize(np.asarray(mask_input, np.float32), (W, H), interpolation=cv2.INTER_LINEAR) > 0
        elif prior is not None and np.any(prior):
            start = np.asarray(prior, bool) | _pointed(prob >= 0.5, points)
        else:
            start = _pointed(prob >= 0.5, points) if points else prob >= 0.5
        mask = self.model.click_mask(rgb, start, points, box=box) if points else start
        inside_score = float(prob[mask].mean()) if mask.any() else 0.0
        return PromptResult(mask, inside_score, _logits(mask))


def _pointed(mask: np.ndarray, points) -> np.ndarray:
    """The connected parts of ``mask`` holding a positive point."""
    pos = [(x, y) for x, y, p in points if p]
    if not pos or not mask.any():
        return np.zeros_like(mask)
    _, comp = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    keep = {int(comp[y, x]) for x, y in pos} - {0}
    return np.isin(comp, list(keep)) if keep else np.zeros_like(mask)
