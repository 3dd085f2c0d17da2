"""One image's objects, and the one rule that draws its class map.

**The class-map rule.** Start from ``base`` (the class of pixels no object covers: VOC keeps its
void borders there) or, where there is none, from ``label_set.unlabelled`` (the class named
background if there is one, else void); then paint each object's class in draw order, bottom
first, so that where objects overlap the higher one shows. Draw order is the object's position
in ``items``. What the formats store:

* COCO stores no order: at reading the smaller object is on top (larger first; equal areas in
  file order), the rule COCO's panoptic conversions use, unless segcore saved this item's order
  (after a reorder or a new object; kept in the dataset's status file, never in the COCO file);
* labelme: file order, a later shape on top, as labelme draws;
* VOC ``SegmentationObject``: one object per pixel, so the order does not show.

An ``Objects`` is immutable: every change returns a new one that shares the unchanged
:class:`Obj` values, so an undo snapshot is a tuple of references. The class map and the map of
the top object are computed when first asked and, for a changed copy, redrawn only inside the
box of what changed.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from ..errors import PromptError
from ..labels import LabelSet
from .mask import Box, union_box
from .obj import IdSource, Obj

__all__ = ["Objects"]


class Objects:
    """``shape`` ``(H, W)``, ``label_set``, ``items`` (bottom first), ``base`` (``(H, W)`` uint8
    or None), ``ids`` (:class:`IdSource`), ``keeps_void`` (void regions are objects: labelme's
    ``__ignore__`` shapes), ``polygon_rule`` (how a new polygon's pixels are drawn:
    ``"coco"``, pycocotools' rule, or ``"labelme"``; see :mod:`.polygon`)."""

    __slots__ = ("shape", "label_set", "items", "base", "ids", "keeps_void", "polygon_rule", "_pos", "_cache",
                 "_hint")

    def __init__(self, shape, label_set: LabelSet, items: Iterable[Obj] = (), base: np.ndarray | None = None,
                 ids: IdSource | None = None, keeps_void: bool = False, polygon_rule: str = "coco"):
        self.shape = (int(shape[0]), int(shape[1]))
        self.label_set = label_set
        self.items: tuple[Obj, ...] = tuple(items)
        if base is not None:
            base = np.asarray(base, np.uint8)
            if base.shape != self.shape:
                raise ValueError(f"base {base.shape} and objects {self.shape} differ in size")
            base.setflags(write=False)
        self.base = base
        self._pos = {o.id: k for k, o in enumerate(self.items)}
        if len(self._pos) != len(self.items):
            raise ValueError("two objects share an id")
        self.ids = ids if ids is not None else IdSource()
        self.ids.see(*self._pos)
        self.keeps_void = bool(keeps_void)
        self.polygon_rule = polygon_rule
        self._cache: dict = {}
        self._hint = None

    # -- lookups ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Obj]:
        return iter(self.items)

    def __repr__(self) -> str:
        return f"<Objects {self.shape[1]}x{self.shape[0]} n={len(self)}>"

    def ids_list(self) -> list[int]:
        """Ids bottom first."""
        return [o.id for o in self.items]

    def find(self, obj_id) -> Obj | None:
        k = self._pos.get(obj_id)
        return None if k is None else self.items[k]

    def get(self, obj_id) -> Obj:
        """The object with this id; a one-line PromptError if there is none."""
        try:
            k = self._pos.get(int(obj_id))
        except (TypeError, ValueError):
            k = None
        if k is None:
            raise PromptError(f"there is no object {obj_id} in this image")
        return self.items[k]

    def position(self, obj_id) -> int:
        """Draw order of an object: 0 at the bottom."""
        self.get(obj_id)
        return self._pos[int(obj_id)]

    def new_id(self) -> int:
        return self.ids.take()

    def name_of(self, obj: Obj) -> str:
        ls = self.label_set
        return "unlabelled" if obj.cls == ls.void_index else ls.names[obj.cls] if obj.cls < len(ls) else str(obj.cls)

    # -- the pictures ---------------------------------------------------------------------
    def _fill(self, box: Box | None) -> np.ndarray:
        if box is None:
            box = (0, 0, self.shape[1], self.shape[0])
        x0, y0, x1, y1 = box
        if self.base is not None:
            return self.base[y0:y1, x0:x1].copy()
        return np.full((y1 - y0, x1 - x0), self.label_set.unlabelled, np.uint8)

    def _draw(self, kind: str, visible_only: bool, box: Box | None = None) -> np.ndarray:
        """The class map (``kind`` "class"), top-object map ("top") or how many objects cover
        each pixel, 0, 1 or 2 for two or more ("cover"), inside ``box``."""
        x0, y0, x1, y1 = box if box is not None else (0, 0, self.shape[1], self.shape[0])
        if kind == "class":
            out = self._fill(box)
        elif kind == "top":
            out = np.full((y1 - y0, x1 - x0), -1, np.int32)
        else:
            out = np.zeros((y1 - y0, x1 - x0), np.uint8)
        for k, o in enumerate(self.items):
            if visible_only and o.hidden:
                continue
            m = o.mask
            if box is not None and not m.meets(box):
                continue
            where = m.crop if box is None else m.within(box)
            sl = out[m.slices] if box is None else out
            if kind == "cover":
                sl[where] = np.minimum(sl[where], 1) + 1
            else:
                sl[where] = o.cls if kind == "class" else k
        return out

    def _picture(self, kind: str, visible_only: bool) -> np.ndarray:
        key = (kind, visible_only)
        got = self._cache.get(key)
        if got is not None:
            return got
        hint, out = self._hint, None
        if hint is not None:
            parent, box = hint
            before = parent._cache.get(key)
            if before is not None:
                out = self._renumbered(parent, before) if kind == "top" else before.copy()
            if out is not None and box is not None:
                x0, y0, x1, y1 = box
                out[y0:y1, x0:x1] = self._draw(kind, visible_only, box)
        if out is None:
            out = self._draw(kind, visible_only)
        out.setflags(write=False)
        self._cache[key] = out
        if hint is not None and all(k in self._cache for k in hint[0]._cache):
            self._hint = None        # each picture the parent had is redrawn from it
        return out

    def _renumbered(self, parent: "Objects", top: np.ndarray) -> np.ndarray:
        """``parent``'s top-object map in this one's draw positions: an object removed, or added
        or moved below others, moves those above it, also outside the changed box."""
        moves = [self._pos.get(o.id, -1) for o in parent.items]
        if moves == list(range(len(moves))):
            return top.copy()
        return np.asarray([-1, *moves], np.int32)[top + 1]

    def class_map(self, visible_only: bool = False) -> np.ndarray:
        """``(H, W)`` uint8 by the class-map rule (module doc); ``visible_only``: without the
        hidden objects. Read-only."""
        return self._picture("class", visible_only)

    def top_map(self, visible_only: bool = True) -> np.ndarray:
        """``(H, W)`` int32: the position of the top (visible) object at each pixel, -1 none."""
        return self._picture("top", visible_only)

    def top_at(self, x: int, y: int, visible_only: bool = True) -> Obj | None:
        """The object a click on ``(x, y)`` picks: the top (visible) one there."""
        for o in reversed(self.items):
            if (not visible_only or not o.hidden) and o.mask.contains(int(x), int(y)):
                return o
        return None

    def at(self, x: int, y: int) -> list[Obj]:
        """Every object covering ``(x, y)``, top first."""
        return [o for o in reversed(self.items) if o.mask.contains(int(x), int(y))]

    def overlap(self) -> np.ndarray:
        """``(H, W)`` bool: pixels two or more objects cover (hidden ones too)."""
        return self._picture("cover", False) >= 2

    def overlap_count(self) -> int:
        """How many pixels two or more objects cover: redrawn only in the box of a change."""
        return int(np.count_nonzero(self._picture("cover", False) >= 2))

    def derived_from(self, other: "Objects") -> bool:
        """Whether these objects will redraw their maps from ``other``'s (a change of it)."""
        return self._hint is not None and self._hint[0] is other

    def drop_pictures(self) -> None:
        """Forget the cached maps (a snapshot going into the undo history)."""
        self._cache = {}
        self._hint = None

    # -- changes (new Objects) ------------------------------------------------------------
    def _derive(self, items, changed: Box | None, base=None, label_set=None, full: bool = False) -> "Objects":
        new = Objects(self.shape, label_set or self.label_set, items, self.base if base is None else base,
                      self.ids, self.keeps_void, self.polygon_rule)
        if not full and label_set is None:
            new._hint = (self, changed)
        return new

    def replace_obj(self, obj: Obj) -> "Objects":
        """The object with ``obj.id`` becomes ``obj`` (same place in the draw order)."""
        k = self._pos.get(obj.id)
        if k is None:
            raise PromptError(f"there is no object {obj.id} in this image")
        old = self.items[k]
        if old is obj:
            return self
        items = self.items[:k] + (obj,) + self.items[k + 1:]
        return self._derive(items, union_box(old.box, obj.box))

    def add(self, obj: Obj, position: int | None = None) -> "Objects":
        """``obj`` added on top (or at ``position``)."""
        return self.add_many([obj], position)

    def add_many(self, objs: Iterable[Obj], position: int | None = None) -> "Objects":
        objs = tuple(objs)
        if not objs:
            return self
        box = None
        for o in objs:
            if o.id in self._pos:
                raise PromptError(f"object {o.id} exists already")
            box = union_box(box, o.box)
        k = len(self.items) if position is None else max(0, min(int(position), len(self.items)))
        self.ids.see(*(o.id for o in objs))
        return self._derive(self.items[:k] + objs + self.items[k:], box)

    def remove(self, obj_id) -> "Objects":
        o = self.get(obj_id)
        return self._derive(tuple(x for x in self.items if x is not o), o.box)

    def move(self, obj_id, position: int) -> "Objects":
        """The object moved to draw position ``position`` (0 bottom, ``len - 1`` top)."""
        o = self.get(obj_id)
        k = self._pos[o.id]
        position = max(0, min(int(position), len(self.items) - 1))
        if position == k:
            return self
        rest = [x for x in self.items if x is not o]
        rest.insert(position, o)
        lo, hi = min(k, position), max(k, position)
        box = None
        for x in self.items[lo:hi + 1]:
            if x is o or x.mask.overlaps(o.mask):
                box = union_box(box, x.box)
        return self._derive(tuple(rest), box)

    def with_items(self, items: Iterable[Obj]) -> "Objects":
        """Another list of objects (any change), redrawn whole."""
        return self._derive(tuple(items), None, full=True)

    def with_base(self, base: np.ndarray | None) -> "Objects":
        new = Objects(self.shape, self.label_set, self.items, base, self.ids, self.keeps_void, self.polygon_rule)
        return new

    def with_label_set(self, label_set: LabelSet) -> "Objects":
        """The same objects with a grown class list (a class was added; indices stay)."""
        return self._derive(self.items, None, label_set=label_set)

    def renumbered(self, mapping: dict) -> "Objects":
        """Objects whose id is a key of ``mapping`` take its value (a write gave them another)."""
        if not any(o.id in mapping for o in self.items):
            return self
        items = tuple(o.replace(id=int(mapping[o.id])) if o.id in mapping else o for o in self.items)
        new = self._derive(items, None)
        new._cache = dict(self._cache)
        new._hint = None
        return new
