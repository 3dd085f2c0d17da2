"""A polygon object's vertices, and its pixels by the rule of the format that holds it.

A :class:`Polygon` keeps the vertices as the file holds them (the same numbers, so an
untouched polygon is written back byte for byte) and draws its pixels the way the format's own
tools do, so the canvas shows what they will draw from the file:

* ``"coco"``: pycocotools' rasterisation (``frPyObjects`` + ``merge`` + decode, as
  ``COCO.annToMask``): coordinates along pixel edges, pixel ``(x, y)`` spans
  ``[x, x + 1] x [y, y + 1]`` and is in where its centre is inside (to pycocotools' 1/5-pixel
  rounding). Several parts are one object (pycocotools unions them), so a COCO polygon has no
  holes. VOC items and objects made where no format draws polygons use this rule too;
* ``"labelme"``: labelme's ``shape_to_mask`` (PIL's ``ImageDraw.polygon`` with its outline, a
  ``rectangle`` with ``ImageDraw.rectangle``): coordinates at pixel centres, pixel ``(x, y)``
  is the point ``(x, y)``. One part, no holes.

``offset`` turns file coordinates into image coordinates where pixel ``(x, y)`` spans
``[x, x + 1]`` (what the canvas draws in): 0 for COCO, 0.5 for labelme.

A labelme ``rectangle`` keeps its two points; its vertices are its four corners (moving one
moves the two coordinates that make it). Inserting or deleting a vertex makes it a polygon.
Self-crossing polygons are allowed, as labelme, CVAT and pycocotools allow them (each draws
them with its own fill rule, and a file from those tools must stay editable).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import PromptError
from .mask import ObjMask

__all__ = ["Polygon", "RULES", "KINDS", "MAX_VERTICES", "parse_parts", "rule_offset"]

RULES = ("coco", "labelme")
KINDS = ("polygon", "rectangle")
#: Vertices one polygon may have (all parts together).
MAX_VERTICES = 10_000
_OFFSET = {"coco": 0.0, "labelme": 0.5}

Point = tuple[float, float]


def rule_offset(rule: str) -> float:
    """What to add to a file coordinate under ``rule`` to get the image coordinate where pixel
    ``x`` spans ``[x, x + 1]``: 0 for COCO, 0.5 for labelme."""
    return _OFFSET[rule]


def _num(v, what: str = "a vertex") -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise PromptError(f"{what}'s coordinates must be numbers; got {v!r}") from None
    v = float(v)
    if not math.isfinite(v):
        raise PromptError(f"{what}'s coordinates must be finite numbers")
    return v


def parse_parts(points) -> list[list[Point]]:
    """``[[x, y], ...]`` (one part) or ``[[[x, y], ...], ...]`` (several) as lists of points
    (rounded to 1/100 pixel); a one-line PromptError if it is neither."""
    if not isinstance(points, (list, tuple)) or not points:
        raise PromptError("a polygon is a list of [x, y] vertices")
    first = points[0]
    several = isinstance(first, (list, tuple)) and first and isinstance(first[0], (list, tuple))
    parts = points if several else [points]
    out = []
    for part in parts:
        if not isinstance(part, (list, tuple)):
            raise PromptError("a polygon is a list of [x, y] vertices")
        pts = []
        for p in part:
            if not isinstance(p, (list, tuple)) or len(p) != 2:
                raise PromptError(f"a vertex is [x, y]; got {p!r}")
            pts.append((round(_num(p[0]), 2), round(_num(p[1]), 2)))
        out.append(pts)
    return out


class Polygon:
    """Immutable. ``parts``: tuple of parts, each a tuple of ``(x, y)`` in the file's
    coordinates (for a ``rectangle`` its two points); ``rule``: ``"coco"`` or ``"labelme"``;
    ``kind``: ``"polygon"`` or ``"rectangle"``."""

    __slots__ = ("parts", "rule", "kind")

    def __init__(self, parts, rule: str = "coco", kind: str = "polygon"):
        if rule not in RULES:
            raise ValueError(f"polygon rule is one of {RULES}; got {rule!r}")
        if kind not in KINDS:
            raise ValueError(f"polygon kind is one of {KINDS}; got {kind!r}")
        object.__setattr__(self, "parts", tuple(tuple((p[0], p[1]) for p in part) for part in parts))
        object.__setattr__(self, "rule", rule)
        object.__setattr__(self, "kind", kind)

    def __setattr__(self, name, value):
        raise AttributeError("a Polygon is immutable")

    def __eq__(self, other) -> bool:
        return (isinstance(other, Polygon) and self.rule == other.rule and self.kind == other.kind
                and self.parts == other.parts)

    __hash__ = None

    def __repr__(self) -> str:
        return f"Polygon({self.kind}, {self.rule}, vertices={[len(p) for p in self.vertices()]})"

    # -- what it holds ------------------------------------------------------------------
    @property
    def offset(self) -> float:
        """Add to a file coordinate to get the image coordinate (pixel ``x`` spans ``[x, x + 1]``)."""
        return rule_offset(self.rule)

    def vertices(self) -> list[list[Point]]:
        """The editable points of each part (a rectangle: its four corners)."""
        if self.kind == "rectangle":
            (x0, y0), (x1, y1) = self.parts[0][:2]
            return [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]]
        return [list(p) for p in self.parts]

    @property
    def n_vertices(self) -> int:
        return sum(len(p) for p in self.vertices())

    def arrays(self) -> list[np.ndarray]:
        """Each part's vertices as ``(N, 2)`` float64 (a rectangle: its four corners)."""
        return [np.asarray(p, np.float64).reshape(-1, 2) for p in self.vertices()]

    def to_dict(self) -> dict:
        """What the API shows: ``parts`` (``[[[x, y], ...], ...]``, file coordinates), ``shape``,
        ``rule``, ``offset``."""
        return {"parts": [[[x, y] for x, y in p] for p in self.vertices()], "shape": self.kind,
                "rule": self.rule, "offset": self.offset}

    def coco_segmentation(self) -> list[list[float]]:
        """COCO's ``segmentation``: one flat ``[x1, y1, x2, y2, ...]`` list per part."""
        return [[v for xy in part for v in xy] for part in self.vertices()]

    def labelme_points(self) -> list[list[float]]:
        """labelme's ``points`` (a rectangle: its two points)."""
        return [[x, y] for x, y in self.parts[0]]

    def area(self) -> float:
        """The polygons' area (shoelace, parts added), as COCO's polygon annotations give it."""
        total = 0.0
        for p in self.arrays():
            x, y = p[:, 0], p[:, 1]
            total += 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
        return total

    def extent(self) -> list[float]:
        """COCO's ``[x, y, w, h]`` of the vertices."""
        a = np.concatenate(self.arrays())
        x0, y0 = a.min(0)
        x1, y1 = a.max(0)
        return [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]

    # -- its pixels ---------------------------------------------------------------------
    def raster(self, shape) -> ObjMask | None:
        """The pixels the format's own tools draw (module doc) in an image of ``shape``
        ``(H, W)``; None where it covers none."""
        h, w = int(shape[0]), int(shape[1])
        if self.rule == "coco":
            from ..formats.rle import annotation_rle, rle_crop, rle_string_counts

            rle = annotation_rle({"segmentation": self.coco_segmentation()}, h, w, "polygon")
            counts = rle["counts"]
            got = rle_crop(rle_string_counts(counts) if isinstance(counts, (bytes, str)) else counts, h, w)
            return None if got is None else ObjMask.from_crop(got[0], got[1], got[2])
        from ..formats.labelme_draw import shape_to_mask

        return ObjMask.from_full(shape_to_mask((h, w), self.labelme_points(), self.kind))

    # -- changes (new polygons) -----------------------------------------------------------
    def _index(self, part: int, index: int, extra: int = 0) -> tuple[int, int]:
        verts = self.vertices()
        try:
            part, index = int(part), int(index)
        except (TypeError, ValueError):
            raise PromptError("a vertex is named by whole numbers (part, index)") from None
        if not 0 <= part < len(verts):
            raise PromptError(f"the polygon has {len(verts)} part{'s' if len(verts) > 1 else ''} "
                              f"(0-{len(verts) - 1}); got part {part}")
        n = len(verts[part]) + extra
        if not 0 <= index < n:
            raise PromptError(f"part {part} has vertices 0-{n - 1}; got {index}")
        return part, index

    def _with(self, verts: list[list[Point]]) -> "Polygon":
        return Polygon(verts, self.rule, "polygon")

    def with_vertex(self, part: int, index: int, x: float, y: float) -> "Polygon":
        """Vertex ``index`` of ``part`` moved to ``(x, y)`` (a rectangle stays a rectangle)."""
        part, index = self._index(part, index)
        x, y = round(_num(x), 2), round(_num(y), 2)
        if self.kind == "rectangle":
            (x0, y0), (x1, y1) = self.parts[0][:2]
            x0, y0, x1, y1 = [(x, y, x1, y1), (x0, y, x, y1), (x0, y0, x, y), (x, y0, x1, y)][index]
            return Polygon([[(x0, y0), (x1, y1)]], self.rule, "rectangle")
        verts = self.vertices()
        verts[part][index] = (x, y)
        return Polygon(verts, self.rule, "polygon")

    def with_inserted(self, part: int, index: int, x: float, y: float) -> "Polygon":
        """A new vertex ``(x, y)`` at position ``index`` of ``part`` (before the vertex that was
        there; ``index`` = the number of vertices: after the last)."""
        part, index = self._index(part, index, extra=1)
        verts = self.vertices()
        verts[part].insert(index, (round(_num(x), 2), round(_num(y), 2)))
        return self._with(verts)

    def without_vertex(self, part: int, index: int) -> "Polygon":
        part, index = self._index(part, index)
        verts = self.vertices()
        if len({*verts[part]}) <= 3:
            raise PromptError("a polygon keeps at least three vertices; delete the object instead")
        del verts[part][index]
        return self._with(verts)

    def translated(self, dx: float, dy: float) -> "Polygon":
        dx, dy = _num(dx, "a move"), _num(dy, "a move")
        parts = [[(round(x + dx, 2), round(y + dy, 2)) for x, y in part] for part in self.parts]
        return Polygon(parts, self.rule, self.kind)

    def check(self, shape, moved=None) -> "Polygon":
        """A one-line PromptError where the polygon cannot be an object: fewer than three
        different vertices in a part, too many vertices, or a vertex of ``moved`` (points the
        user placed; default all) off the image."""
        h, w = int(shape[0]), int(shape[1])
        if self.kind == "polygon":
            for part in self.parts:
                if len(set(part)) < 3:
                    raise PromptError(f"a polygon needs at least three different vertices; got {len(set(part))}")
        if self.n_vertices > MAX_VERTICES:
            raise PromptError(f"a polygon has at most {MAX_VERTICES} vertices; got {self.n_vertices}")
        off = self.offset
        for x, y in (moved if moved is not None else [p for part in self.parts for p in part]):
            if not (-off <= x <= w - off and -off <= y <= h - off):
                raise PromptError(f"vertex ({x:g}, {y:g}) is off the {w}x{h} image")
        return self

