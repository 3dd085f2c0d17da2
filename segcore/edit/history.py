"""Undo and redo over Segmentations, kept small.

Only the current step is held as arrays; every other step is its label map compressed with
zlib (a label map of a megapixel compresses to a few kilobytes), with its label set and
confidence. A session with 50 steps of a 12-megapixel mask then holds about one mask, not 50.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..segmentation import Segmentation

__all__ = ["History"]


class _Packed:
    __slots__ = ("data", "shape", "label_set", "confidence", "note")

    def __init__(self, seg: Segmentation, note=None):
        self.note = note
        self.data = zlib.compress(seg.labels.tobytes(), 1)
        self.shape = seg.shape
        self.label_set = seg.label_set
        self.confidence = None if seg.confidence is None else zlib.compress(seg.confidence.tobytes(), 1)

    def unpack(self) -> Segmentation:
        labels = np.frombuffer(zlib.decompress(self.data), np.uint8).reshape(self.shape).copy()
        conf = None if self.confidence is None else \
            np.frombuffer(zlib.decompress(self.confidence), np.float32).reshape(self.shape).copy()
        return Segmentation(labels, self.label_set, conf)


class History:
    """Undo/redo over Segmentations; ``push`` drops the redo branch. Bounded to ``limit``."""

    def __init__(self, initial: Segmentation, limit: int = 50, note=None):
        self._current = initial
        self._note = note
        self._past: list[_Packed] = []
        self._future: list[_Packed] = []
        self.limit = limit

    @property
    def current(self) -> Segmentation:
        return self._current

    @property
    def note(self):
        """What the tool that made the current step left with it (e.g. the clicks so far)."""
        return self._note

    def push(self, seg: Segmentation, note=None) -> Segmentation:
        self._past.append(_Packed(self._current, self._note))
        self._current, self._note = seg, note
        self._future.clear()
        if len(self._past) >= self.limit:
            self._past.pop(0)
        return seg

    def undo(self) -> Segmentation:
        if self._past:
            self._future.append(_Packed(self._current, self._note))
            step = self._past.pop()
            self._current, self._note = step.unpack(), step.note
        return self._current

    def redo(self) -> Segmentation:
        if self._future:
            self._past.append(_Packed(self._current, self._note))
            step = self._future.pop()
            self._current, self._note = step.unpack(), step.note
        return self._current

    def rebase(self, fn, note_fn=None) -> None:
        """Change every step's label map by ``fn`` (``(H, W)`` uint8 -> the same), and each
        step's note by ``note_fn``: another session's changes go under the whole history, so
        that undo never takes them back. Not a step itself."""
        cur = self._current
        self._current = Segmentation(fn(cur.labels), cur.label_set, cur.confidence)
        if note_fn is not None:
            self._note = note_fn(self._note)
        for step in (*self._past, *self._future):
            seg = step.unpack()
            packed = _Packed(Segmentation(fn(seg.labels), seg.label_set, seg.confidence),
                             step.note if note_fn is None else note_fn(step.note))
            step.data, step.note = packed.data, packed.note

    def set_label_set(self, label_set) -> None:
        """Give every step a grown class list (a class was added; indices stay)."""
        cur = self._current
        self._current = Segmentation(cur.labels, label_set, cur.confidence)
        for step in (*self._past, *self._future):
            step.label_set = label_set

    @property
    def can_undo(self) -> bool:
        return bool(self._past)

    @property
    def can_redo(self) -> bool:
        return bool(self._future)
