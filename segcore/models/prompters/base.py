"""The one interface of prompted models, in the manner of segment-anything's ``SamPredictor``.

``set_image(rgb)`` computes and caches the expensive part once per image (SAM: the image
embedding; the selfie model: its person probability); ``predict(points, box, ...)`` is cheap
and returns a :class:`PromptResult`: the candidate object mask, its score and low-resolution
logits to feed back as ``mask_input`` with the next click of the same object.

A prompter proposes an object and nothing more: which pixels of the label map it may change is
decided by the apply rule of :mod:`segcore.edit.apply`, the same for every prompter.

A Prompter object holds one image's state (as ``SamPredictor`` does), so every editing session
gets its own from ``load_prompter``; the heavy parts (networks, ONNX sessions) are loaded once
per process by each loader and shared between those objects.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

import cv2
import numpy as np

from ...errors import PromptError
from ...prompts import check_box, check_points

__all__ = ["EncodedPrompter", "Prompter", "PromptResult", "list_prompters", "load_prompter"]


@dataclass(frozen=True, eq=False)
class PromptResult:
    """``mask``: ``(H, W)`` bool, the object. ``score``: the prompter's confidence in it (SAM's
    predicted IoU; 1.0 where a prompter has none). ``logits``: low-resolution float32 logits
    (``> 0`` inside), only to pass back as ``mask_input``. With ``multimask``: ``masks``
    ``(C, H, W)`` and ``scores`` ``(C,)`` of every candidate; ``mask`` is the best-scored one."""

    mask: np.ndarray
    score: float = 1.0
    logits: np.ndarray | None = None
    masks: np.ndarray | None = None
    scores: np.ndarray | None = None


class Prompter(ABC):
    """A prompted model. Subclasses implement ``_set_image`` and ``_predict``; prompts are
    checked here, so every prompter reads a mistake the same way. Thread-safe: calls take
    turns on one lock (the app's sessions share a prompter)."""

    name: str = "prompter"

    def __init__(self):
        self._lock = threading.RLock()
        self._rgb: np.ndarray | None = None

    # -- the image ---------------------------------------------------------------------
    @property
    def is_image_set(self) -> bool:
        return self._rgb is not None

    @property
    def image_shape(self) -> tuple[int, int] | None:
        return None if self._rgb is None else self._rgb.shape[:2]

    def set_image(self, rgb: np.ndarray) -> None:
        """RGB uint8 ``(H, W, 3)``. Setting the same array again costs nothing."""
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise PromptError(f"a prompter takes an RGB uint8 (H, W, 3) image, got {rgb.shape} {rgb.dtype}")
        with self._lock:
            if self._rgb is rgb:
                return
            self._set_image(rgb)
            self._rgb = rgb

    def reset_image(self) -> None:
        with self._lock:
            self._rgb = None

    # -- the expensive part computed ahead (segcore.models.prompters.prefetch) -------------
    def encode(self, rgb: np.ndarray):
        """What ``set_image(rgb)`` computes, returned instead of kept: it changes nothing here, so
        a background thread may run it while this prompter serves clicks on another image.
        ``None`` where nothing is worth computing ahead."""
        return None

    def set_embedding(self, rgb: np.ndarray, embedding) -> None:
        """``set_image(rgb)`` with ``embedding = encode(rgb)`` given (``None``: computed now)."""
        if embedding is None:
            return self.set_image(rgb)
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise PromptError(f"a prompter takes an RGB uint8 (H, W, 3) image, got {rgb.shape} {rgb.dtype}")
        with self._lock:
            self._set_embedding(rgb, embedding)
            self._rgb = rgb

    def _set_embedding(self, rgb: np.ndarray, embedding) -> None:
        self._set_image(rgb)

    # -- prompts -----------------------------------------------------------------------
    def predict(self, points=(), box=None, mask_input: np.ndarray | None = None, multimask: bool = False,
                prior: np.ndarray | None = None) -> PromptResult:
        """The object the prompts point at.

        ``points``: ``[(x, y, positive), ...]`` in image pixels; ``box``: ``(x0, y0, x1, y1)``
        (x1, y1 exclusive); ``mask_input``: the ``logits`` of this prompter's previous result
        on this image (the same object, one click earlier); ``multimask``: propose several
        masks and return the best by score; ``prior``: ``(H, W)`` bool, the object as it is
        labelled now, a hint a prompter may start from (GrabCut does; SAM ignores it).
        """
        with self._lock:
            if self._rgb is None:
                raise PromptError("no image is set; call set_image(rgb) first")
            H, W = self._rgb.shape[:2]
            pts = check_points(points, H, W)
            bx = check_box(box, H, W) if box is not None else None
            if not pts and bx is None:
                raise PromptError("give at least one point or a box")
            if prior is not None and np.shape(prior) != (H, W):
                raise PromptError("the prior mask does not match the image's size")
            return self._predict(pts, bx, mask_input, bool(multimask), prior)

    @abstractmethod
    def _set_image(self, rgb: np.ndarray) -> None: ...

    @abstractmethod
    def _predict(self, points, box, mask_input, multimask: bool, prior) -> PromptResult: ...


# -- the one registry's names for prompters ----------------------------------------------------
class EncodedPrompter(Prompter):
    """A prompter whose expensive part is an image embedding (``encode``), kept for the clicks
    on that image (SAM, SAM 2.1). Subclasses set ``embedding_type`` (with ``original_size``)
    and implement ``encode`` and ``_predict``."""

    embedding_type: type = object

    def __init__(self):
        super().__init__()
        self._embedding = None
        self._buffer: np.ndarray | None = None      # the photo-size logits, kept between clicks

    def _set_image(self, rgb: np.ndarray) -> None:
        self._embedding = self.encode(rgb)

    def _set_embedding(self, rgb: np.ndarray, embedding) -> None:
        if not isinstance(embedding, self.embedding_type) or embedding.original_size != tuple(rgb.shape[:2]):
            raise PromptError("this embedding was made from another image; encode this image again")
        self._embedding = embedding

    def reset_image(self) -> None:
        with self._lock:
            super().reset_image()
            self._embedding = self._buffer = None

    def _threshold(self, logits: np.ndarray, out: np.ndarray, threshold: float) -> None:
        """``logits`` bilinearly to ``out``'s size (cv2's resize is torch's ``interpolate(...,
        align_corners=False)``), then ``> threshold`` into ``out`` (bool). The photo-size float
        buffer is kept between clicks (at 12 MP, a fresh 48 MB per mask cost more than the
        resize)."""
        H, W = out.shape
        if self._buffer is None or self._buffer.shape != (H, W):
            self._buffer = np.empty((H, W), np.float32)
        cv2.resize(logits, (W, H), dst=self._buffer, interpolation=cv2.INTER_LINEAR)
        np.greater(self._buffer, threshold, out=out)


def list_prompters() -> list[str]:
    """The registry entries that answer clicks and boxes."""
    from ..registry import PROMPT, names

    return names(PROMPT)


def load_prompter(name: str, weights=None, **kwargs) -> Prompter:
    """A ready prompter by name (``weights``: a file the user names), through the one resolver."""
    from ..registry import PROMPT
    from ..resolve import load

    return load(name, PROMPT, weights=weights, **kwargs)
