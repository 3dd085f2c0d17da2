"""The object list's handlers. An item of a COCO file, a labelme folder or a VOC root with
``SegmentationObject/`` is a list of objects (segcore's ObjectSession): list them, select one
(by id, at a pixel, the next or previous), start a new one, change an object's class, delete,
reorder, hide, lock. Each is a plain function, made an API endpoint in app.py and called by the
canvas's requests (demo/protocol.py) alike; each action is one undoable step, saved like every
edit. ``obj_id`` empty or None: the selected object."""

from __future__ import annotations

import gradio as gr

from segcore.edit.object_actions import REORDER

from . import object_views
from .actions import class_index, current_session, object_id
from .session import AppSession, UserError


def object_session(app: AppSession):
    """The current item's ObjectSession, or a one-line mistake for an item without objects."""
    s = current_session(app)
    if not s.has_objects:
        raise UserError("This item has no objects: its dataset holds class maps (VOC class PNGs, label maps or "
                        "images); objects come from COCO, labelme or a VOC root with SegmentationObject.")
    return s


def target(app: AppSession, obj_id) -> int:
    """The object an action names: ``obj_id``, else the selected one."""
    s = object_session(app)
    k = object_id(obj_id)
    if k is None:
        k = s.selected
        if k is None:
            raise UserError("No object is selected: select one (click it with Select, V) or give its id.")
    return s.objects.get(k).id


def follow(app: AppSession, s) -> None:
    """The class list follows the selected object, so the next tool acts on it."""
    if s.has_objects and s.selected is not None:
        app.cls = s.objects.get(s.selected).cls


def _done(app: AppSession, what: str) -> None:
    """Saved like every edit; ``what`` made it (the item's history says so)."""
    app.workspace.changed(tool=what)


def list_objects(app, value=None):
    """The current item's objects (see :func:`rows`); ``(state, objects)``."""
    return app, object_views.rows(object_session(app))


def select_object(app, obj_id, value=None):
    """Select an object by id; empty: nothing (an Add click or the wand then acts on the object
    of its class under it, other tools start a new object)."""
    s = object_session(app)
    s.select(object_id(obj_id))
    follow(app, s)
    _done(app, "select")


def select_at(app, x, y, value=None):
    """Select the top visible object at pixel ``(x, y)`` (none there: nothing selected)."""
    s = object_session(app)
    if s.select_at(x, y) is None:
        gr.Info("No object here: nothing is selected.")
    follow(app, s)
    _done(app, "select")


def select_next(app, step=1, value=None):
    """Select the next object down the list (``step`` -1: up), wrapping (Tab / Shift+Tab)."""
    s = object_session(app)
    if not len(s.objects):
        raise UserError("This image has no objects yet.")
    s.select_next(-1 if float(step or 1) < 0 else 1)
    follow(app, s)
    _done(app, "select")


def new_object(app, value=None):
    """The next tool starts a new object of the selected class, whatever it lands on."""
    object_session(app).new_object()
    _done(app, "new object")


def set_object_class(app, obj_id, class_name, value=None):
    """An object takes another class (a name or number); it keeps its id and its pixels."""
    k = target(app, obj_id)
    s = object_session(app)
    cls = class_index(app, class_name)
    s.set_class(k, cls)
    if s.selected == k:
        app.cls = cls
    _done(app, "object class")


def delete_object(app, obj_id=None, value=None):
    """Delete an object: its pixels show what lies beneath."""
    object_session(app).delete(target(app, obj_id))
    _done(app, "delete object")


def reorder_object(app, obj_id, where, value=None):
    """Move an object in the draw order: forward (above the next higher object it overlaps),
    backward, front or back."""
    where = str(where or "").strip().lower()
    if where not in REORDER:
        raise UserError(f"where is one of {', '.join(REORDER)}; got {where!r}")
    k = target(app, obj_id)
    if not object_session(app).reorder(k, where):
        gr.Info(f"Object {k} stays where it is: no object it overlaps lies {'above' if where in ('forward', 'front') else 'beneath'} it.")
    _done(app, "reorder")


def _flag(value) -> bool:
    return str(value).strip().lower() not in ("false", "0", "", "no", "none")


def hide_object(app, obj_id, hidden=True, value=None):
    """Hide (or show) an object on the canvas; it stays in the file."""
    object_session(app).set_hidden(target(app, obj_id), _flag(hidden))
    _done(app, "hide object")


def lock_object(app, obj_id, locked=True, value=None):
    """Lock (or unlock) an object: under the rule "unlocked" no tool changes it or paints over it."""
    object_session(app).set_locked(target(app, obj_id), _flag(locked))
    _done(app, "lock object")
