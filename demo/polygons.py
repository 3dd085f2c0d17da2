"""Polygon objects' handlers: read an object's vertices, set them, move / insert / delete a
vertex, move the whole polygon, turn a mask object into a polygon. Each is a plain function,
made an API endpoint in demo/api.py and called by the canvas's vertex requests
(demo/protocol.py) alike; each change is one undoable step, saved like every edit.

Coordinates are the file's own (segcore.objects.Polygon): COCO's run along pixel edges (pixel
``(x, y)`` is the square from ``x`` to ``x + 1``), labelme's through pixel centres (pixel
``(x, y)`` is the point ``(x, y)``); ``/vertices`` gives the ``offset`` between the two.
``obj_id`` empty or None: the selected object."""

from __future__ import annotations

import json

import gradio as gr

from segcore.objects import staircase_vertices

from .actions import object_id
from .objects import object_session
from .session import AppSession, UserError
from .tools import overwrite_rule


def _obj(obj_id):
    return object_id(obj_id)


def _int(value, what: str) -> int:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{what} is a whole number; got {value!r}") from None
    if not v.is_integer():
        raise UserError(f"{what} is a whole number; got {value!r}")
    return int(v)


def _points(points):
    if isinstance(points, str):
        try:
            points = json.loads(points) if points.strip() else []
        except ValueError:
            raise UserError("vertices are [[x, y], ...], e.g. [[10, 10], [90, 10], [50, 80]]") from None
    return points


def _done(app: AppSession, what: str) -> None:
    app.workspace.changed(tool=what)     # the item's history names what made the version


def vertices(app, obj_id=None, value=None):
    """The vertices of a polygon object: ``{id, parts: [[[x, y], ...], ...], shape (polygon or
    rectangle), rule (coco or labelme), offset}``; ``(state, vertices)``."""
    return app, object_session(app).vertices(_obj(obj_id))


def set_vertices(app, obj_id, points, overwrite="", value=None):
    """The object (a polygon, or a mask that becomes one) takes the vertices ``points``:
    ``[[x, y], ...]`` (or JSON text of it; several parts ``[[[x, y], ...], ...]`` in COCO)."""
    object_session(app).set_vertices(_obj(obj_id), _points(points), overwrite_rule(overwrite))
    _done(app, "set vertices")


def move_vertex(app, obj_id, index, x, y, part=0, overwrite="", value=None):
    """Vertex ``index`` (0-based, of ``part``) moves to ``(x, y)``."""
    object_session(app).move_vertex(_obj(obj_id), _int(index, "index"), x, y, _int(part or 0, "part"),
                                    overwrite_rule(overwrite))
    _done(app, "move vertex")


def insert_vertex(app, obj_id, index, x, y, part=0, overwrite="", value=None):
    """A new vertex ``(x, y)`` at position ``index``: between vertices ``index - 1`` and ``index``."""
    object_session(app).insert_vertex(_obj(obj_id), _int(index, "index"), x, y, _int(part or 0, "part"),
                                      overwrite_rule(overwrite))
    _done(app, "insert vertex")


def delete_vertex(app, obj_id, index, part=0, overwrite="", value=None):
    """Vertex ``index`` is removed (a polygon keeps at least three)."""
    object_session(app).delete_vertex(_obj(obj_id), _int(index, "index"), _int(part or 0, "part"),
                                      overwrite_rule(overwrite))
    _done(app, "delete vertex")


def move_polygon(app, obj_id, dx, dy, overwrite="", value=None):
    """The whole polygon moves by ``(dx, dy)`` pixels."""
    object_session(app).move_polygon(_obj(obj_id), dx, dy, overwrite_rule(overwrite))
    _done(app, "move polygon")


def simplify(app, obj_id=None, tolerance=None, overwrite="", value=None):
    """A mask object becomes a polygon object: Douglas-Peucker of its outline at ``tolerance``
    pixels (empty: 1); holes are filled, as COCO and labelme polygons hold none."""
    s = object_session(app)
    tol = 1.0 if tolerance in (None, "") else tolerance
    k = _obj(obj_id)
    k = s.selected if k is None else k
    if k is None:
        raise UserError("No object is selected: select one (click it with Select, V) or give its id.")
    before = s.objects.get(k)
    o = s.simplify(k, tol, overwrite_rule(overwrite))
    _done(app, "simplify")
    holes, filled = s.filled
    note = f" {holes} hole{'s' if holes > 1 else ''} filled ({filled:,} pixels): a polygon holds none." if holes else ""
    gr.Info(f"Object {o.id} is a polygon of {o.polygon.n_vertices} vertices (its pixel outline had "
            f"{staircase_vertices(before.mask)}).{note}")


def notice(app: AppSession) -> None:
    """Say, once per step, when a tool made polygon objects masks (undo brings them back), or a
    new polygon was added as a mask of what the overwrite rule allows."""
    s = app.workspace.session
    if s is None or not s.has_objects or app.polygon_noted == (id(s), s.version):
        return
    app.polygon_noted = (id(s), s.version)
    if s.unpolygoned:
        ids = ", ".join(str(k) for k in s.unpolygoned)
        one = len(s.unpolygoned) == 1
        gr.Info(f"Object{'' if one else 's'} {ids} {'is a mask' if one else 'are masks'} now: painting changed "
                f"{'its' if one else 'their'} pixels, so {'its' if one else 'their'} vertices are gone. "
                "Undo (Ctrl+Z) brings the polygon back.")
    if s.clipped:
        gr.Info(f"The polygon overlapped pixels the overwrite rule keeps ({s.clipped:,}): it was added as a "
                "mask of the rest.")
