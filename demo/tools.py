"""The editing tools' handlers: a click, a box, the wand, a polygon; a class's padlock and
colour; the overwrite rule and the erase target. Each is one function, called by its API
endpoint (``action()(fn)`` in app.py) and by the canvas's event (demo/protocol.py) alike."""

from __future__ import annotations

import json
from dataclasses import replace

import gradio as gr

from segcore.edit import OVERWRITE_RULES, polygon_region

from .actions import class_index, current_session, on_object
from .session import AppSession, UserError

RULE_WORDS = {"any": "any pixel", "unlabelled": "only unlabelled pixels", "unlocked": "all but locked classes"}


def edited(app: AppSession, result, before, what: str) -> None:
    """Save a tool's step (``before``: the labels before it); say so when it changed (almost) nothing, rather than leave the
    user wondering (GrabCut finds nothing in a box of plain wall, say), and what the wand took."""
    s = app.workspace.session
    n = 0 if result is None else int((s.labels != before).sum())
    if result is not None:
        app.workspace.changed(tool=what)
    rule = app.workspace.rule.overwrite
    if what == "wand":
        if n:
            gr.Info(f"The wand took {n:,} pixels.")
        else:
            gr.Info("The wand changed nothing: the clicked region has the class already, or the overwrite rule "
                    f"({RULE_WORDS[rule]}) keeps it; raise the tolerance or change the rule.")
    elif n < max(1, before.size // 2000):
        hint = ("click where the object is missing (Add) or spills (Remove)" if what == "click"
                else f"draw the {what} around the object")
        gr.Info(f"The {what} changed {n} pixel{'' if n == 1 else 's'}: {hint}, or try another tool"
                + (f" (overwrite: {RULE_WORDS[rule]})." if rule != "unlocked" or app.workspace.rule.locked else "."))


def overwrite_rule(overwrite) -> str | None:
    """An API call's overwrite rule; empty: the app's current choice."""
    text = "" if overwrite is None else str(overwrite).strip().lower()
    if not text:
        return None
    if text not in OVERWRITE_RULES:
        raise UserError(f"overwrite is one of {', '.join(OVERWRITE_RULES)}; got {overwrite!r}")
    return text


def positive(mode) -> bool:
    m = str(mode).strip().lower()
    if m in ("add", "1", "true", "positive", "+"):
        return True
    if m in ("remove", "0", "false", "negative", "-"):
        return False
    raise UserError(f"mode is add or remove, got {mode!r}")


def click_point(app, x, y, mode, class_name, overwrite="", obj_id=None, value=None):
    """A positive (mode "add") or negative ("remove") click; ``overwrite``: any / unlabelled /
    unlocked (empty: the app's current choice); ``obj_id``: the object it acts on (empty: the
    selected one, or a new one; see demo/objects.py)."""
    s = current_session(app)
    before = s.labels
    edited(app, s.click(x, y, positive(mode), class_index(app, class_name), overwrite_rule(overwrite),
                        **on_object(app, obj_id)), before, "click")


def box(app, x0, y0, x1, y1, class_name, overwrite="", obj_id=None, value=None):
    """The object inside the box ``x0, y0, x1, y1`` (x1 and y1 exclusive) joins the class."""
    s = current_session(app)
    before = s.labels
    edited(app, s.box(x0, y0, x1, y1, class_index(app, class_name), overwrite_rule(overwrite),
                      **on_object(app, obj_id)), before, "box")


def wand(app, x, y, tolerance=None, class_name="", overwrite="", obj_id=None, value=None):
    """The wand at ``(x, y)``; ``tolerance`` (0-255) empty or None: the one that suits the photo."""
    s = current_session(app)
    tol = None if tolerance in (None, "") else tolerance
    before = s.labels
    edited(app, s.wand(x, y, tol, class_index(app, class_name), overwrite_rule(overwrite), **on_object(app, obj_id)),
           before, "wand")


def polygon(app, points, class_name, overwrite="", obj_id=None, value=None):
    """A polygon ``points`` (``[[x, y], ...]``, or that as JSON text). On an item with objects
    it is a new polygon object of the class that keeps its vertices (the file's coordinates:
    COCO's along pixel edges, labelme's through pixel centres; see demo/polygons.py); with
    ``obj_id`` its inside joins that object. On a class map its inside (image pixels) takes the
    class. Under the overwrite rule and the locks."""
    s = current_session(app)
    if isinstance(points, str):
        try:
            points = json.loads(points) if points.strip() else []
        except ValueError:
            raise UserError("points are [[x, y], ...], e.g. [[10, 10], [90, 10], [50, 80]]") from None
    if s.has_objects:
        before = s.labels
        k = s.polygon(points, class_index(app, class_name), overwrite_rule(overwrite), **on_object(app, obj_id))
        edited(app, k, before, "polygon")
        return
    region = polygon_region(points, s.shape)
    before = s.labels
    edited(app, s.region(region, class_index(app, class_name), overwrite_rule(overwrite), **on_object(app, obj_id)),
           before, "polygon")


def lock_class(app, class_name, locked, value=None):
    """Lock (or unlock) a class: under the rule "unlocked", no tool changes its pixels."""
    cls = class_index(app, class_name)
    on = str(locked).strip().lower() not in ("false", "0", "", "no", "none")
    ws = app.workspace
    if not 0 <= cls < len(ws.label_set):
        raise UserError("Only a class can be locked.")
    keep = set(ws.rule.locked)
    keep = keep | {cls} if on else keep - {cls}
    ws.set_rule(replace(ws.rule, locked=frozenset(keep)))
    if on and ws.rule.overwrite == "any":
        gr.Info(f"{ws.label_set.names[cls]} is locked, but the overwrite rule is 'any pixel': choose "
                "'all but locked classes' for the lock to hold.")


def set_class_colour(app, class_name, colour, value=None):
    """A class's colour (``#rrggbb``), kept with the dataset."""
    app.workspace.set_class_color(class_index(app, class_name), colour)


def set_overwrite(app, overwrite, value=None):
    """How tools write from now on: any, unlabelled (void and background only) or unlocked."""
    rule = overwrite_rule(overwrite)
    if rule is None:
        raise UserError(f"overwrite is one of {', '.join(OVERWRITE_RULES)}")
    ws = app.workspace
    ws.set_rule(replace(ws.rule, overwrite=rule))


def set_erase_to(app, class_name, value=None):
    """What the eraser and Remove write: a class, or "" for void (unlabelled)."""
    ws = app.workspace
    text = "" if class_name is None else str(class_name).strip()
    target = ws.label_set.void_index if text == "" else class_index(app, text)
    ws.set_rule(replace(ws.rule, erase_to=target))
