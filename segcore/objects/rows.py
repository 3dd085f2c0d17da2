"""What the app shows of an image's objects: one row per object, top first."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .objects import Objects

__all__ = ["ObjectRow", "object_rows", "row_of"]


@dataclass(frozen=True)
class ObjectRow:
    """One object as the object list shows it. ``color``: its class's colour ``"#rrggbb"``;
    ``share``: of the image's pixels (0-1); ``bbox``: COCO ``[x, y, w, h]``; ``order``: draw
    order, 0 at the bottom; ``vertices``: how many a polygon object has (0: a mask object)."""

    id: int
    cls: int
    name: str
    color: str
    area: int
    share: float
    bbox: list
    order: int
    hidden: bool
    locked: bool
    selected: bool
    score: float | None
    vertices: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def row_of(objects: Objects, o, k: int, selected: int | None = None) -> ObjectRow:
    """The row of object ``o``, at draw position ``k`` of ``objects``."""
    total = max(1, objects.shape[0] * objects.shape[1])
    ls = objects.label_set
    return ObjectRow(o.id, o.cls, objects.name_of(o), ls.hex_color(o.cls) if o.cls < len(ls) or
                     o.cls == ls.void_index else "#000000", o.area, o.area / total, o.bbox, k,
                     o.hidden, o.locked, o.id == selected, o.score, 0 if o.polygon is None else o.polygon.n_vertices)


def object_rows(objects: Objects, selected: int | None = None) -> list[ObjectRow]:
    """A row per object, the top one first (the order of a layer list)."""
    return [row_of(objects, objects.items[k], k, selected) for k in range(len(objects) - 1, -1, -1)]
