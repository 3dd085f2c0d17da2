"""Polygon objects in an :class:`~segcore.edit.ObjectSession`: the polygon tool, vertex edits
and the way between masks and polygons.

* The polygon tool makes a NEW polygon object of its class that keeps its vertices (as
  labelme and CVAT do); its pixels are the format's rasterisation of them
  (:mod:`segcore.objects.polygon`). With ``obj=`` its inside joins that object (which becomes
  a mask object), and ``erase=True`` takes the inside away from the target, as before.
* Vertex edits (set the vertices, move / insert / delete a vertex, move the whole polygon) and
  ``simplify`` (a mask object into a polygon at a tolerance in pixels) are each one undoable
  step and select the object.
* A brush stroke, a click, the wand or a helper that changes a polygon object's pixels makes it
  a mask object (``Obj.replace``); ``session.unpolygoned`` lists the ids the last step did that
  to, so the app can say so; undo brings the polygon back.

**Locks and the overwrite rule.** A polygon object's pixels are its rasterisation, exactly: an
edit cannot clip them. So a vertex edit (or ``simplify``) whose new pixels would cover pixels
the rule protects (those of a locked object or class under ``unlocked``, of any other object
under ``unlabelled``) is refused with one line naming the object; pixels the polygon already
covered before the edit do not count, so a polygon that overlaps a locked object can still be
edited elsewhere. A NEW polygon that would cover protected pixels is added as a mask object of
the pixels the rule allows (what a polygon did before polygon objects), and
``session.clipped`` says so.
"""

from __future__ import annotations

from ..errors import PromptError
from ..objects import Obj, ObjMask, Polygon, mask_to_polygon, parse_parts
from ..objects.polygon import RULES
from .object_rules import pixels_between

__all__ = ["VertexActions"]


class VertexActions:
    """Mixed into :class:`~segcore.edit.ObjectSession` (``objects``, ``selected``, ``shape``,
    ``_commit``, ``_rule``, ``_check_object``, ``writable``, ``region``, ``class_index``)."""

    # -- reading ----------------------------------------------------------------------------
    def _polygon_object(self, obj_id) -> Obj:
        obj_id = self.selected if obj_id is None or obj_id == "" else obj_id
        if obj_id is None:
            raise PromptError("select a polygon object first")
        o = self.objects.get(obj_id)
        if o.polygon is None:
            raise PromptError(f"object {o.id} ({self.objects.name_of(o)}) is a mask, not a polygon; "
                              "simplify it to a polygon first")
        return o

    def vertices(self, obj_id=None) -> dict:
        """The vertices of a polygon object (default: the selected one): ``id``, ``parts``
        (``[[[x, y], ...], ...]`` in the file's coordinates), ``shape`` (``polygon`` or
        ``rectangle``), ``rule`` and ``offset`` (:class:`~segcore.objects.Polygon`)."""
        o = self._polygon_object(obj_id)
        return {"id": o.id, **o.polygon.to_dict()}

    # -- one polygon's pixels -----------------------------------------------------------------
    def _protected_hit(self, target: Obj | None, new: ObjMask, rule) -> tuple[Obj, int] | None:
        """The first object whose protected pixels ``new`` would newly cover, and how many."""
        if rule.overwrite == "any":
            return None
        bg = self.label_set.background
        old = target.mask if target is not None else None
        for o in reversed(self.objects.items):
            if target is not None and o.id == target.id:
                continue
            if not (o.locked or o.cls in rule.locked or (rule.overwrite == "unlabelled" and o.cls != bg)):
                continue
            if not o.mask.meets(new.box):
                continue
            hit = new.within(o.box) & o.mask.crop
            if old is not None:
                hit &= ~old.within(o.box)
            n = int(hit.sum())
            if n:
                return o, n
        return None

    def _refuse_protected(self, target: Obj, new: ObjMask, rule) -> None:
        got = self._protected_hit(target, new, rule)
        if got is None:
            return
        o, n = got
        name = f"object {o.id} ({self.objects.name_of(o)})"
        if o.locked or o.cls in rule.locked:
            why = f"locked {name}; unlock it" if o.locked else f"{name}, whose class is locked; unlock the class"
            raise PromptError(f"this would cover {n} pixel{'s' if n > 1 else ''} of {why}, or set overwrite to any")
        raise PromptError(f"this would cover {n} pixel{'s' if n > 1 else ''} of {name} while overwrite is "
                          "'unlabelled'; set overwrite to any or unlocked")

    def _raster(self, poly: Polygon) -> ObjMask:
        mask = poly.raster(self.shape)
        if mask is None:
            raise PromptError("the polygon covers no pixel of the image")
        return mask

    def _set_polygon(self, o: Obj, poly: Polygon, overwrite, moved=None) -> Obj:
        """``o`` becomes the polygon ``poly`` as one step, under the overwrite rule (module doc)."""
        rule = self._rule(overwrite)
        self._check_object(o, rule)
        poly.check(self.shape, moved)
        mask = self._raster(poly)
        self._refuse_protected(o, mask, rule)
        new = o.replace(mask=mask if not mask.same(o.mask) else o.mask, polygon=poly)
        self._commit(self.objects.replace_obj(new), o.id, changed=pixels_between(o, new))
        return new

    # -- vertex edits ----------------------------------------------------------------------------
    def set_vertices(self, obj_id, points, overwrite: str | None = None) -> Obj:
        """The object (a polygon, or a mask that becomes one) takes these vertices:
        ``[[x, y], ...]``, or ``[[[x, y], ...], ...]`` for several parts (COCO), in the file's
        coordinates."""
        obj_id = self.selected if obj_id is None or obj_id == "" else obj_id
        if obj_id is None:
            raise PromptError("select an object first")
        o = self.objects.get(obj_id)
        parts = parse_parts(points)
        rule = o.polygon.rule if o.polygon is not None else self.objects.polygon_rule
        if rule == "labelme" and len(parts) > 1:
            raise PromptError("a labelme polygon has one part; give one list of [x, y] vertices")
        for p in parts:
            if len(p) < 3:
                raise PromptError(f"a polygon needs at least three vertices; got {len(p)}")
        poly = Polygon(parts, rule)
        return self._set_polygon(o, poly, overwrite)

    def move_vertex(self, obj_id, index, x, y, part=0, overwrite: str | None = None) -> Obj:
        """Vertex ``index`` of ``part`` moves to ``(x, y)`` (file coordinates)."""
        o = self._polygon_object(obj_id)
        poly = o.polygon.with_vertex(part, index, x, y)
        return self._set_polygon(o, poly, overwrite, moved=[poly.vertices()[int(part)][int(index)]])

    def insert_vertex(self, obj_id, index, x, y, part=0, overwrite: str | None = None) -> Obj:
        """A new vertex ``(x, y)`` at position ``index`` of ``part``: between vertices
        ``index - 1`` and ``index`` (``index`` = their number: after the last)."""
        o = self._polygon_object(obj_id)
        poly = o.polygon.with_inserted(part, index, x, y)
        return self._set_polygon(o, poly, overwrite, moved=[poly.vertices()[int(part)][int(index)]])

    def delete_vertex(self, obj_id, index, part=0, overwrite: str | None = None) -> Obj:
        """Vertex ``index`` of ``part`` is removed (a polygon keeps at least three)."""
        o = self._polygon_object(obj_id)
        return self._set_polygon(o, o.polygon.without_vertex(part, index), overwrite, moved=[])

    def move_polygon(self, obj_id, dx, dy, overwrite: str | None = None) -> Obj:
        """The whole polygon moves by ``(dx, dy)`` pixels; it must stay on the image."""
        o = self._polygon_object(obj_id)
        poly = o.polygon.translated(dx, dy)
        return self._set_polygon(o, poly, overwrite)

    def simplify(self, obj_id=None, tolerance=1.0, overwrite: str | None = None) -> Obj:
        """A mask object becomes a polygon object: Douglas-Peucker of its outline at
        ``tolerance`` pixels (:func:`~segcore.objects.mask_to_polygon`); holes are filled
        (``session.filled`` says how many pixels that added). A polygon object is simplified
        again from its pixels."""
        obj_id = self.selected if obj_id is None or obj_id == "" else obj_id
        if obj_id is None:
            raise PromptError("select an object first")
        o = self.objects.get(obj_id)
        rule = o.polygon.rule if o.polygon is not None else self.objects.polygon_rule
        got = mask_to_polygon(o.mask, tolerance, rule)
        new = self._set_polygon(o, got.polygon, overwrite, moved=[])
        self.filled = (got.holes, got.filled)
        return new

    # -- the polygon tool ----------------------------------------------------------------------
    def polygon(self, points, cls=None, overwrite: str | None = None, obj=None, erase: bool = False):
        """The polygon tool (module doc): a new polygon object of ``cls`` through ``points``
        (``[[x, y], ...]``, the file's coordinates); with ``obj`` its inside joins that object;
        ``erase`` takes it away from the target. Returns the object's id (None: nothing changed)."""
        parts = parse_parts(points)
        if len(parts) != 1:
            raise PromptError("the polygon tool draws one part: a list of [x, y] vertices")
        if len(parts[0]) < 3:
            raise PromptError(f"a polygon needs at least three vertices; got {len(parts[0])}")
        rule_name = self.objects.polygon_rule if self.objects.polygon_rule in RULES else "coco"
        poly = Polygon(parts, rule_name).check(self.shape)
        mask = self._raster(poly)
        cls = None if cls is None or cls == "" else self.class_index(cls)
        if erase or obj is not None or self._unlabels(cls):
            self.region(mask.full(self.shape), cls, overwrite, obj, erase)
            return self.selected
        if cls is None:
            raise PromptError("choose a class for the new object")
        rule = self._rule(overwrite)
        rule.check_target(cls, self.label_set)
        objects, clipped = self.objects, 0
        if self._protected_hit(None, mask, rule) is not None:
            allowed = mask.intersect(self.writable(None, rule))
            if allowed is None:
                raise PromptError("the polygon lies on pixels the overwrite rule keeps; nothing to add")
            clipped = mask.area - allowed.area
            new = Obj(objects.new_id(), int(cls), allowed)
        else:
            new = Obj(objects.new_id(), int(cls), mask, polygon=poly)
        self._commit(objects.add(new), new.id, changed=new.area)
        self.clipped = clipped
        return new.id
