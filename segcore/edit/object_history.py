"""Undo and redo over an image's objects, kept small.

A step is ``(objects, selected, note)``. :class:`~segcore.objects.Objects` are immutable and
share every object a step did not change, so a step costs a tuple of references plus the masks
it made. Masks that no longer belong to the current objects are packed (zlib of their bits,
:meth:`ObjMask.pack`) and decoded again only if an undo brings them back; the cached class map
of a past step is dropped. Fifty steps of edits on a 12-megapixel photo with 300 objects then
hold the current objects' crops and a few kilobytes per step.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..objects import Objects

__all__ = ["ObjectHistory", "Step"]


@dataclass(frozen=True)
class Step:
    objects: Objects
    selected: int | None = None
    note: object = None


class ObjectHistory:
    """Undo/redo over :class:`Step`; ``push`` drops the redo branch. Bounded to ``limit``."""

    def __init__(self, objects: Objects, limit: int = 50):
        self._current = Step(objects)
        self._past: list[Step] = []
        self._future: list[Step] = []
        self.limit = limit

    @property
    def step(self) -> Step:
        return self._current

    @property
    def objects(self) -> Objects:
        return self._current.objects

    @property
    def selected(self) -> int | None:
        return self._current.selected

    @property
    def note(self):
        """What the tool that made the current step left with it (e.g. the clicks so far)."""
        return self._current.note

    def _settle(self, leaving: Step) -> None:
        """``leaving`` is no longer current: pack the masks the current objects do not share."""
        keep = {id(o.mask) for o in self._current.objects}
        for o in leaving.objects:
            if id(o.mask) not in keep:
                o.mask.pack()
        if leaving.objects is not self._current.objects:
            leaving.objects.drop_pictures()

    def push(self, step: Step) -> Step:
        old, self._current = self._current, step
        self._past.append(old)
        self._future.clear()
        if len(self._past) >= self.limit:
            self._past.pop(0)
        self._settle(old)
        return step

    def replace_current(self, step: Step) -> Step:
        """Change the current step without a new one (consecutive selections fold into one)."""
        old, self._current = self._current, step
        self._settle(old)
        return step

    def undo(self) -> Step:
        if self._past:
            old, self._current = self._current, self._past.pop()
            self._future.append(old)
            self._settle(old)
        return self._current

    def redo(self) -> Step:
        if self._future:
            old, self._current = self._current, self._future.pop()
            self._past.append(old)
            self._settle(old)
        return self._current

    def map_steps(self, fn) -> None:
        """Every step through ``fn(step) -> step`` (a grown class list, renumbered ids)."""
        self._current = fn(self._current)
        self._past = [fn(s) for s in self._past]
        self._future = [fn(s) for s in self._future]

    def set_label_set(self, label_set) -> None:
        """Give every step a grown class list (a class was added; indices stay)."""
        memo: dict = {}

        def grow(s: Step) -> Step:
            key = id(s.objects)
            if key not in memo:
                memo[key] = s.objects.with_label_set(label_set)
            return Step(memo[key], s.selected, s.note)
        self.map_steps(grow)

    @property
    def can_undo(self) -> bool:
        return bool(self._past)

    @property
    def can_redo(self) -> bool:
        return bool(self._future)

    def __len__(self) -> int:
        return len(self._past) + 1 + len(self._future)
