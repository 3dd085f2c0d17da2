"""The workspace panel's handlers: moving through the dataset and the editing tools.

Each handler takes the session state and the canvas value (which carries the strokes painted
but not applied, and the class selected in the list) and returns ``(state, canvas, files,
status)``. Pending strokes are applied before any other action, so no button loses them.
"""

from __future__ import annotations

import functools
import inspect
import json
from pathlib import Path

import gradio as gr

from segcore.dataset.prelabel import next_least_sure

from . import views
from .session import AppSession, Seed, UserError, new_session, user_errors

N_OUT = 4


def _value(value) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            raise UserError("the canvas value is not JSON") from None
    return value if isinstance(value, dict) else {}


def _app(state) -> AppSession:
    """The session's state; its first event (or the page load) starts it."""
    if isinstance(state, AppSession):
        return state
    if isinstance(state, Seed):
        return new_session(state.served)
    raise UserError("This session has no app behind it; reload the page.")


def _session(app: AppSession):
    if app.workspace.session is None:
        raise UserError("No image yet: add images first." if app.uploads else "The dataset has no images.")
    return app.workspace.session


def out(app: AppSession, keep_pending=None):
    """``(state, canvas, files, status)`` after any change."""
    for _, name, message in app.workspace.skipped:
        gr.Warning(f"Skipped {name}: {message}")
    app.workspace.skipped = []
    value = views.canvas_value(app)
    if keep_pending:
        value["pending"] = keep_pending
    return app, value, views.files_html(app, app.only_open), views.status_md(app)


def take(app: AppSession, value) -> dict:
    """The canvas value's selected class, then its pending strokes applied (one undo step)."""
    v = _value(value)
    if "cls" in v:
        try:
            app.cls = int(v["cls"])
        except (TypeError, ValueError):
            pass
    strokes = v.get("pending") or []
    if strokes and app.workspace.session is not None:
        if app.workspace.session.paint(strokes):
            app.workspace.changed()
    return v


def _class_index(app: AppSession, class_name) -> int:
    """A class by name or number; empty: the class selected in the list."""
    ls = app.workspace.label_set
    if class_name is None or str(class_name).strip() == "":
        return app.cls
    text = str(class_name).strip()
    if text.lstrip("-").isdigit():
        k = int(text)
        if not 0 <= k < len(ls):
            raise UserError(f"class {k} is not one of the {len(ls)} classes (0-{len(ls) - 1})")
        return k
    if text not in ls.names:
        raise UserError(f"no class named {text!r}; the classes are {', '.join(ls.names)}")
    return ls.names.index(text)


def _edited(app: AppSession, result, before, what: str) -> None:
    """Save a tool's step; say so when it changed (almost) nothing, rather than leave the
    user wondering (GrabCut finds nothing in a box of plain wall, say)."""
    if result is None:
        return
    app.workspace.changed()
    n = int((app.workspace.session.labels != before).sum())
    if n < max(1, before.size // 2000):
        gr.Info(f"The {what} changed {n} pixels: click inside the object, or try another tool.")


def action(apply_pending: bool = True, outputs: int = N_OUT):
    """A handler from ``fn(app, ..., value)``: the session (its first event starts it), under
    its lock, with the canvas's selected class and pending strokes taken first; a user's
    mistake is a warning with every view unchanged. ``fn`` returns None for the views, or
    its own outputs. Gradio reads the parameter names (the API's) from ``fn``."""
    def deco(fn):
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())

        @user_errors(outputs)
        @functools.wraps(fn)
        def handler(state, *args, **kwargs):
            app = _app(state)
            bound = sig.bind(app, *args, **kwargs)
            with app.lock:
                if apply_pending:
                    take(app, bound.arguments.get("value"))
                result = fn(*bound.args, **bound.kwargs)
                return out(app) if result is None else result
        handler.__signature__ = sig.replace(parameters=[params[0].replace(name="state"), *params[1:]])
        return handler
    return deco


# -- moving ---------------------------------------------------------------------------------
@action()
def next_item(app, value=None):
    app.workspace.step(1)


@action()
def prev_item(app, value=None):
    app.workspace.step(-1)


@action()
def next_open(app, value=None):
    if getattr(app, "least_sure_first", False):   # the Train panel's review order (demo/train.py)
        with app.workspace.lock:
            nxt = next_least_sure(app.workspace.ds, app.workspace.index)
        app.workspace.open(nxt)
        return
    app.workspace.step(1, not_reviewed=True)


@action()
def open_item(app, item, value=None):
    """An item by its number in the list (1-based, as shown) or by its name."""
    text = str(item if item is not None else "").strip()
    if not text:
        raise UserError("Give an item's number or name.")
    ws = app.workspace
    if text.isdigit() and text not in ws.ds.names:
        k = int(text)
        if not 1 <= k <= len(ws):
            raise UserError(f"There are {len(ws)} items; give a number from 1 to {len(ws)}.")
        ws.open(k - 1)
    else:
        name = text if text in ws.ds.names else Path(text).stem   # "img.jpg" finds item "img"
        if name not in ws.ds.names:
            raise UserError(f"No item named {text!r}.")
        ws.open_name(name)


@action()
def select_file(app, value, evt: gr.EventData):
    app.workspace.open(int(evt._data.get("index", 0)))


@action()
def set_filter(app, only_open, value=None):
    app.only_open = bool(only_open)


# -- tools ----------------------------------------------------------------------------------
@action()
def canvas_select(app, value, evt: gr.EventData):
    """A click of a point tool on the canvas (browser): add / remove / box corner / wand."""
    d = evt._data or {}
    s = _session(app)
    tool, x, y = d.get("tool"), d.get("x", -1), d.get("y", -1)
    cls = _class_index(app, d.get("cls", ""))
    before = s.labels
    if tool in ("add", "remove"):
        _edited(app, s.click(x, y, tool == "add", cls), before, "click")
    elif tool == "box":
        _edited(app, s.box_corner(x, y, cls), before, "box")
    elif tool == "wand":
        _edited(app, s.wand(x, y, d.get("tolerance", 32), cls), before, "wand")
    else:
        raise UserError(f"unknown tool {tool!r}")


def _mode(mode) -> bool:
    m = str(mode).strip().lower()
    if m in ("add", "1", "true", "positive", "+"):
        return True
    if m in ("remove", "0", "false", "negative", "-"):
        return False
    raise UserError(f"mode is add or remove, got {mode!r}")


@action()
def click_point(app, x, y, mode, class_name, value=None):
    s = _session(app)
    _edited(app, s.click(x, y, _mode(mode), _class_index(app, class_name)), s.labels, "click")


@action()
def box(app, x0, y0, x1, y1, class_name, value=None):
    s = _session(app)
    _edited(app, s.box(x0, y0, x1, y1, _class_index(app, class_name)), s.labels, "box")


@action()
def wand(app, x, y, tolerance, class_name, value=None):
    s = _session(app)
    _edited(app, s.wand(x, y, tolerance, _class_index(app, class_name)), s.labels, "wand")


@action()
def apply_edit(app, value=None):
    """Apply the pending brush and eraser strokes (the decorator does)."""
    _session(app)


@action(apply_pending=False)
def undo(app, value=None):
    """Undo the last step; with strokes not yet applied, drop the last of them instead."""
    pending = list(_value(value).get("pending") or [])
    if pending:
        return out(app, keep_pending=pending[:-1])
    _session(app).undo()
    app.workspace.changed()


@action(apply_pending=False)
def redo(app, value=None):
    """Redo a step; strokes not yet applied stay pending."""
    _session(app).redo()
    app.workspace.changed()
    return out(app, keep_pending=list(_value(value).get("pending") or []))


@action()
def mark_reviewed(app, value=None):
    _session(app)
    app.workspace.mark_reviewed()


@action(outputs=N_OUT + 1)
def add_class(app, name, value=None):
    app.cls = app.workspace.add_class(str(name or ""))
    return (*out(app), "")
