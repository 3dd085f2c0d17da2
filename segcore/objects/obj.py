"""One object of an image: a stable id, a class, a mask, the file's own fields.

``id`` is stable while the image is edited: the COCO annotation id; for labelme the shape's
1-based position in the file as first opened (new shapes numbered after the largest); for VOC
``SegmentationObject`` the object index. Draw order is not a field: it is the object's position
in its :class:`~segcore.objects.Objects` (0 at the bottom).

``fields`` are the file's own record without its geometry (COCO: iscrowd, attributes, ...;
labelme: label, group_id, flags, description, ...), read-only, for the user's information; the
write-back keeps the record in the file itself and changes only what an edit changed.
``hidden`` and ``locked`` are state of the editing session, never written to a file.

``polygon`` (a :class:`~segcore.objects.polygon.Polygon`, or None for a mask object): the
vertices the object is drawn from; its ``mask`` is then the polygon's rasterisation by the
format's rule. A change of the mask alone (a brush stroke, a click) makes it a mask object:
``replace(mask=...)`` drops the polygon unless it is given too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

from ..errors import PromptError
from .mask import Box, ObjMask
from .polygon import Polygon

__all__ = ["Obj", "IdSource"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, eq=False)
class Obj:
    """An object: ``id``, class index ``cls`` (or the void index, labelme's ``__ignore__``),
    ``mask`` (:class:`ObjMask`), ``fields``, ``score`` (e.g. SAM 3's), ``polygon``
    (:class:`Polygon` or None: a mask object), ``hidden`` / ``locked`` (session only)."""

    id: int
    cls: int
    mask: ObjMask
    fields: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    score: float | None = None
    polygon: Polygon | None = None
    hidden: bool = False
    locked: bool = False

    def __post_init__(self):
        if not isinstance(self.mask, ObjMask):
            raise TypeError("Obj.mask is an ObjMask (ObjMask.from_full(mask))")
        if self.polygon is not None and not isinstance(self.polygon, Polygon):
            raise TypeError("Obj.polygon is a Polygon or None")
        if not isinstance(self.fields, MappingProxyType):
            object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    @property
    def box(self) -> Box:
        return self.mask.box

    @property
    def area(self) -> int:
        return self.mask.area

    @property
    def bbox(self) -> list[float]:
        """COCO's ``[x, y, w, h]``."""
        return self.mask.bbox

    def replace(self, **changes) -> "Obj":
        """A changed copy; a new ``mask`` without a ``polygon`` makes it a mask object."""
        if "mask" in changes and "polygon" not in changes and changes["mask"] is not self.mask:
            changes["polygon"] = None
        return replace(self, **changes)

    def same_content(self, other: "Obj | None") -> bool:
        """Same class, pixels and vertices (what a file holds; hidden / locked aside)."""
        return (other is not None and self.cls == other.cls and self.mask.same(other.mask)
                and self.polygon == other.polygon)

    def __repr__(self) -> str:
        flags = "".join(c for c, on in (("h", self.hidden), ("l", self.locked), ("p", self.polygon is not None))
                        if on)
        return f"Obj(id={self.id}, cls={self.cls}, box={self.box}, area={self.area}{', ' + flags if flags else ''})"


class IdSource:
    """Where new object ids come from: the next id after every one seen, never reused (an
    undone new object keeps its id spent). Shared by every snapshot of an image's objects, and
    for COCO by every image of the file. ``limit``: the largest id the format can hold."""

    def __init__(self, start: int = 1, limit: int | None = None):
        self._next = int(start)
        self.limit = limit
        self._lock = threading.Lock()

    def see(self, *ids: int) -> None:
        """Ids in use: new ones come after them."""
        with self._lock:
            for i in ids:
                self._next = max(self._next, int(i) + 1)

    def peek(self) -> int:
        return self._next

    def take(self) -> int:
        with self._lock:
            i = self._next
            if self.limit is not None and i > self.limit:
                raise PromptError(f"this format holds at most {self.limit} objects per image")
            self._next += 1
            return i
