"""The object actions of an :class:`~segcore.edit.ObjectSession`: select, new, change class,
delete, reorder, hide, lock, add many; each one undoable step (consecutive selections fold
into one step, so walking through a list of objects does not push edits out of the history).
Also what the app draws of the objects: their rows and the selected object's outline."""

from __future__ import annotations

import numpy as np

from ..errors import PromptError
from ..objects import Obj, ObjMask, ObjectRow, object_rows

__all__ = ["ObjectActions", "REORDER"]

#: The ways an object moves in the draw order.
REORDER = ("forward", "backward", "front", "back")


class _Select:
    """The note of a step that only changed the selection."""

    __repr__ = lambda self: "select"   # noqa: E731


_SELECT = _Select()


class ObjectActions:
    """Mixed into :class:`~segcore.edit.ObjectSession` (which provides ``objects``,
    ``selected``, ``history``, ``_commit``, ``_rule``, ``_check_object``, ``writable``)."""

    # -- what the app shows ----------------------------------------------------------------
    def object_rows(self) -> list[ObjectRow]:
        """A row per object, the top one first (id, class, colour, area, share, bbox, order,
        hidden, locked, selected, score)."""
        return object_rows(self.objects, self.selected)

    def outline(self, obj_id=None) -> list[np.ndarray]:
        """The outlines of an object (default: the selected one; [] if none) as ``(N, 2)``
        int32 image ``x, y`` of its boundary pixels, outer and hole outlines."""
        obj_id = self.selected if obj_id is None else obj_id
        if obj_id is None:
            return []
        return self.objects.get(obj_id).mask.contours()

    # -- selection -------------------------------------------------------------------------
    def select(self, obj_id, new: bool = False) -> int | None:
        """Select an object (None: nothing; a click then acts on the object of its class it
        lands on, other tools start a new object). Not an undoable step (as in labelme and
        CVAT): it changes the current step's selection, so Ctrl+Z undoes the last edit, not a
        click on a row."""
        if obj_id is not None:
            obj_id = self.objects.get(obj_id).id
        new = bool(new) and obj_id is None
        if obj_id == self.selected and new == self.history.new:
            return obj_id
        self._commit(self.objects, obj_id, _SELECT, changed=0, fold=True, new=new)
        return obj_id

    def select_at(self, x, y) -> int | None:
        """Select the top visible object at ``(x, y)`` (none there: nothing selected)."""
        from ..prompts import check_points

        ((x, y, _),) = check_points([(x, y, True)], *self.shape)
        o = self.objects.top_at(x, y)
        return self.select(None if o is None else o.id)

    def new_object(self) -> None:
        """The next tool starts a new object of the class it is given, even where it is used
        on an object of that class (the "new object" button and key)."""
        self.select(None, new=True)

    @property
    def new_pending(self) -> bool:
        """Whether the next tool starts a new object whatever it lands on."""
        return self.history.new

    def select_next(self, step: int = 1) -> int | None:
        """Select the next object down the list (``step=-1``: up), top first, wrapping; the
        first one where nothing is selected (Tab / Shift+Tab)."""
        ids = [o.id for o in reversed(self.objects.items)]
        if not ids:
            return None
        k = ids.index(self.selected) + (1 if step >= 0 else -1) if self.selected in ids else (0 if step >= 0 else -1)
        return self.select(ids[k % len(ids)])

    # -- one object --------------------------------------------------------------------------
    def _changed(self, obj: Obj, selected="keep"):
        selected = self.selected if selected == "keep" else selected
        return self._commit(self.objects.replace_obj(obj), selected, changed=None)

    def set_class(self, obj_id, cls, overwrite: str | None = None) -> Obj:
        """The object takes class ``cls`` (name or index); it keeps its id and pixels."""
        rule = self._rule(overwrite)
        o = self._check_object(self.objects.get(obj_id), rule)
        cls = self.class_index(cls)
        if cls == o.cls:
            return o
        rule.check_target(cls, self.label_set)
        new = o.replace(cls=cls)
        self._changed(new)
        return new

    def delete(self, obj_id, overwrite: str | None = None) -> None:
        """The object is removed (its pixels show what lies beneath)."""
        o = self._check_object(self.objects.get(obj_id), self._rule(overwrite))
        self._commit(self.objects.remove(o.id), None if self.selected == o.id else self.selected,
                     changed=None)

    def set_hidden(self, obj_id, hidden: bool = True) -> Obj:
        """Hide (or show) an object on the canvas; it stays in the file and in the class map."""
        o = self.objects.get(obj_id)
        if o.hidden == bool(hidden):
            return o
        new = o.replace(hidden=bool(hidden))
        self._commit(self.objects.replace_obj(new), self.selected, changed=0)
        return new

    def set_locked(self, obj_id, locked: bool = True) -> Obj:
        """Lock (or unlock) an object: no tool changes it or paints over it (rule ``unlocked``)."""
        o = self.objects.get(obj_id)
        if o.locked == bool(locked):
            return o
        new = o.replace(locked=bool(locked))
        self._commit(self.objects.replace_obj(new), self.selected, changed=0)
        return new

    def reorder(self, obj_id, where: str) -> bool:
        """Move an object in the draw order: ``forward`` above the next higher object that
        overlaps it, ``backward`` below the next lower one, ``front`` / ``back`` to the top /
        bottom. False (and no step) where that changes nothing."""
        if where not in REORDER:
            raise PromptError(f"an object moves {', '.join(REORDER)}; got {where!r}")
        objects = self.objects
        o = objects.get(obj_id)
        k, n = objects.position(o.id), len(objects)
        if where == "front":
            to = n - 1
        elif where == "back":
            to = 0
        elif where == "forward":
            to = next((j for j in range(k + 1, n) if objects.items[j].mask.overlaps(o.mask)), k)
        else:
            to = next((j for j in range(k - 1, -1, -1) if objects.items[j].mask.overlaps(o.mask)), k)
        if to == k:
            return False
        self._commit(objects.move(o.id, to), self.selected, changed=None)
        return True

    # -- many at once ------------------------------------------------------------------------
    def add_objects(self, items, select: bool = False, overwrite: str | None = None) -> list[int]:
        """New objects on top, in the order given, as one step: ``items`` of
        ``(class, mask (H, W) bool, score or None)`` (SAM 3's "Find all"). Each keeps off the
        pixels the overwrite rule protects; an empty one is left out. Returns the new ids."""
        rule = self._rule(overwrite)
        ok = self.writable(None, rule)
        new = []
        for item in items:
            try:
                cls, mask, score = item
            except (TypeError, ValueError):
                raise PromptError("add_objects takes (class, mask, score) triples") from None
            cls = self.class_index(cls)
            rule.check_target(cls, self.label_set)
            if np.shape(mask) != self.shape:
                raise PromptError("an object's mask does not match the image's size")
            m = ObjMask.from_full(np.asarray(mask, bool) & ok)
            if m is not None:
                new.append(Obj(self.objects.new_id(), cls, m, score=None if score is None else float(score)))
        if not new:
            self.last_changed = 0
            return []
        objects = self.objects.add_many(new)
        self._commit(objects, new[-1].id if select else self.selected, changed=None)
        return [o.id for o in new]

    def renumber(self, mapping: dict) -> None:
        """Objects whose id is a key of ``mapping`` take its value in every step (a write gave a
        new object another id); not a step of its own."""
        if not mapping:
            return
        memo: dict = {}

        def fix(step):
            key = id(step.objects)
            if key not in memo:
                memo[key] = step.objects.renumbered(mapping)
            note = step.note
            if getattr(note, "obj", None) in mapping:
                from dataclasses import replace

                note = replace(note, obj=mapping[note.obj])
            return type(step)(memo[key], mapping.get(step.selected, step.selected), note, step.new)
        self.history.map_steps(fix)
