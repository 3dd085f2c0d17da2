"""Undo and redo over Segmentations."""

from __future__ import annotations

from ..segmentation import Segmentation

__all__ = ["History"]


class History:
    """Undo/redo over Segmentations; ``push`` drops the redo branch. Bounded to ``limit``."""

    def __init__(self, initial: Segmentation, limit: int = 50):
        self._past: list[Segmentation] = [initial]
        self._future: list[Segmentation] = []
        self.limit = limit

    @property
    def current(self) -> Segmentation:
        return self._past[-1]

    def push(self, seg: Segmentation) -> Segmentation:
        self._past.append(seg)
        self._future.clear()
        if len(self._past) > self.limit:
            self._past.pop(0)
        return seg

    def undo(self) -> Segmentation:
        if len(self._past) > 1:
            self._future.append(self._past.pop())
        return self.current

    def redo(self) -> Segmentation:
        if self._future:
            self._past.append(self._future.pop())
        return self.current

    @property
    def can_undo(self) -> bool:
        return len(self._past) > 1

    @property
    def can_redo(self) -> bool:
        return bool(self._future)
