"""The canvas's requests (the page's ``static/canvas/protocol.js``): one table from what the
page asks to the handler its API endpoint calls too, so each tool and action has one path.

The page sends one request at a time, in the order the user made them, and sends the next
when this one is answered: every request is answered with a canvas value carrying its number
(``ack``), a mistake too (a warning; the views as they were), so the page's queue moves on.
"""

from __future__ import annotations

import logging

import gradio as gr

from segcore.errors import SegcoreError

from . import objects as ho
from . import polygons as hpo
from . import tools as ht
from . import views
from . import workspace as hw
from .actions import app_of, pending_of, reply, take
from .canvas import CanvasEvent
from .session import UserError, user_message

LOG = logging.getLogger("segcore.app")


def _box(app, e: CanvasEvent, value):
    if len(e.box) != 4:
        raise UserError("a box needs two corners")
    return ht.box(app, *e.box, e.cls)


def _at(e: CanvasEvent) -> tuple:
    if len(e.at) != 2:
        raise UserError("a vertex needs where it goes: [x, y]")
    return e.at


#: What the page asks (``CanvasEvent.tool``) -> the handler, as ``(app, event, value)``.
PAGE = {
    "add": lambda app, e, value: ht.click_point(app, e.x, e.y, "add", e.cls),
    "remove": lambda app, e, value: ht.click_point(app, e.x, e.y, "remove", e.cls),
    "box": _box,
    "wand": lambda app, e, value: ht.wand(app, e.x, e.y, e.tolerance, e.cls),
    "polygon": lambda app, e, value: ht.polygon(app, [list(p) for p in e.points], e.cls),
    "lock": lambda app, e, value: ht.lock_class(app, e.cls, e.locked),
    "colour": lambda app, e, value: ht.set_class_colour(app, e.cls, e.colour),
    "view": lambda app, e, value: None,          # what is drawn changed: taken from the value
    "next": lambda app, e, value: hw.next_item(app, value),
    "prev": lambda app, e, value: hw.prev_item(app, value),
    "next_open": lambda app, e, value: hw.next_open(app, value),
    "apply": lambda app, e, value: hw.apply_edit(app, value),
    "undo": lambda app, e, value: hw.undo(app, value),
    "redo": lambda app, e, value: hw.redo(app, value),
    "reviewed": lambda app, e, value: hw.mark_reviewed(app, value),
    "select_at": lambda app, e, value: ho.select_at(app, e.x, e.y),
    "select": lambda app, e, value: ho.select_object(app, e.obj),
    "select_next": lambda app, e, value: ho.select_next(app, e.step),
    "new_object": lambda app, e, value: ho.new_object(app),
    "object_class": lambda app, e, value: ho.set_object_class(app, e.obj, e.cls),
    "delete_object": lambda app, e, value: ho.delete_object(app, e.obj),
    "reorder": lambda app, e, value: ho.reorder_object(app, e.obj, e.where),
    "hide_object": lambda app, e, value: ho.hide_object(app, e.obj, e.hidden),
    "lock_object": lambda app, e, value: ho.lock_object(app, e.obj, e.locked),
    "move_vertex": lambda app, e, value: hpo.move_vertex(app, e.obj, e.vertex, *_at(e), e.part),
    "insert_vertex": lambda app, e, value: hpo.insert_vertex(app, e.obj, e.vertex, *_at(e), e.part),
    "delete_vertex": lambda app, e, value: hpo.delete_vertex(app, e.obj, e.vertex, e.part),
    "move_polygon": lambda app, e, value: hpo.move_polygon(app, e.obj, *(e.delta or (None, None))),
    "simplify": lambda app, e, value: hpo.simplify(app, e.obj, e.tolerance),
}
#: Actions that leave pending strokes pending (as their endpoints, made with apply_pending=False).
KEEP_STROKES = {"undo", "redo"}
#: Actions on the item the user pointed at (its pixels, its objects): refused when another is open.
ON_ITEM = {"add", "remove", "box", "wand", "polygon", "select_at", "select", "object_class", "delete_object",
           "reorder", "hide_object", "lock_object", "move_vertex", "insert_vertex", "delete_vertex", "move_polygon",
           "simplify"}


def on_canvas(state, value, evt: gr.SelectData):
    """The canvas's ``select`` event: a request of the page (:class:`CanvasEvent`)."""
    app = app_of(state)
    e = CanvasEvent.of(evt)
    with app.lock:
        taken, result = [], None
        try:
            fn = PAGE.get(e.tool)
            if fn is None:
                raise UserError(f"unknown action {e.tool!r}")
            try:
                taken = take(app, value, strokes=e.tool not in KEEP_STROKES)
            except (SegcoreError, UserError):
                taken = pending_of(value)        # strokes that cannot be applied: said, and dropped
                raise
            if e.tool in ON_ITEM and e.item is not None and e.item != views.item_key(app):
                raise UserError(f"That {e.tool.replace('_', ' ')} was made on the image shown before; nothing was changed.")
            result = fn(app, e, value)
        except (SegcoreError, UserError) as err:
            message = user_message(err)
            LOG.info("user error in %s: %s", e.tool, message)
            gr.Warning(message)
        except Exception as err:  # noqa: BLE001 - the page waits for an answer to every request
            LOG.exception("canvas request %s", e.tool)
            gr.Warning(f"Something went wrong ({err.__class__.__name__}: {err}); the views are as they were.")
        return reply(app, result, value, taken, ack=e.req)
