"""The workspace panel's handlers: moving through the dataset and the editing tools.

Each handler takes the session state and the canvas value (which carries the strokes painted
but not applied, and the class selected in the list) and returns ``(state, canvas, files,
status)``. Pending strokes are applied before any other action, so no button loses them.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

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


def _edited(app: AppSession, result) -> None:
    if result is not None:
        app.workspace.changed()


# -- moving ---------------------------------------------------------------------------------
def _move(fn):
    @user_errors(N_OUT)
    def handler(state, value, *args):
        app = _app(state)
        with app.lock:
            take(app, value)
            fn(app, *args)
            return out(app)
    handler.__name__ = fn.__name__
    return handler


@_move
def next_item(app):
    app.workspace.step(1)


@_move
def prev_item(app):
    app.workspace.step(-1)


@_move
def next_open(app):
    app.workspace.step(1, not_reviewed=True)


@user_errors(N_OUT)
def open_item(state, item, value=None):
    """An item by its number in the list (1-based, as shown) or by its name."""
    app = _app(state)
    with app.lock:
        take(app, value)
        _open_item(app, item)
        return out(app)


def _open_item(app, item):
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


@user_errors(N_OUT)
def select_file(state, value, evt: gr.EventData):
    app = _app(state)
    with app.lock:
        take(app, value)
        app.workspace.open(int(evt._data.get("index", 0)))
        return out(app)


@user_errors(N_OUT)
def set_filter(state, only_open, value=None):
    app = _app(state)
    with app.lock:
        take(app, value)
        app.only_open = bool(only_open)
        return out(app)


# -- tools ----------------------------------------------------------------------------------
@user_errors(N_OUT)
def canvas_select(state, value, evt: gr.EventData):
    """A click of a point tool on the canvas (browser): add / remove / box corner / wand."""
    app = _app(state)
    d = evt._data or {}
    with app.lock:
        take(app, value)
        s = _session(app)
        tool, x, y = d.get("tool"), d.get("x", -1), d.get("y", -1)
        cls = _class_index(app, d.get("cls", ""))
        if tool in ("add", "remove"):
            _edited(app, s.click(x, y, tool == "add", cls))
        elif tool == "box":
            _edited(app, s.box_corner(x, y, cls))
        elif tool == "wand":
            _edited(app, s.wand(x, y, d.get("tolerance", 32), cls))
        else:
            raise UserError(f"unknown tool {tool!r}")
        return out(app)


def _mode(mode) -> bool:
    m = str(mode).strip().lower()
    if m in ("add", "1", "true", "positive", "+"):
        return True
    if m in ("remove", "0", "false", "negative", "-"):
        return False
    raise UserError(f"mode is add or remove, got {mode!r}")


@user_errors(N_OUT)
def click_point(state, x, y, mode, class_name, value=None):
    app = _app(state)
    with app.lock:
        take(app, value)
        s = _session(app)
        _edited(app, s.click(x, y, _mode(mode), _class_index(app, class_name)))
        return out(app)


@user_errors(N_OUT)
def box(state, x0, y0, x1, y1, class_name, value=None):
    app = _app(state)
    with app.lock:
        take(app, value)
        s = _session(app)
        _edited(app, s.box(x0, y0, x1, y1, _class_index(app, class_name)))
        return out(app)


@user_errors(N_OUT)
def wand(state, x, y, tolerance, class_name, value=None):
    app = _app(state)
    with app.lock:
        take(app, value)
        s = _session(app)
        _edited(app, s.wand(x, y, tolerance, _class_index(app, class_name)))
        return out(app)


@user_errors(N_OUT)
def apply_edit(state, value):
    """Apply the pending brush and eraser strokes."""
    app = _app(state)
    with app.lock:
        _session(app)
        take(app, value)
        return out(app)


@user_errors(N_OUT)
def undo(state, value):
    """Undo the last step; with strokes not yet applied, drop the last of them instead."""
    app = _app(state)
    with app.lock:
        v = _value(value)
        pending = list(v.get("pending") or [])
        if pending:
            return out(app, keep_pending=pending[:-1])
        _session(app).undo()
        app.workspace.changed()
        return out(app)


@user_errors(N_OUT)
def redo(state, value):
    app = _app(state)
    with app.lock:
        v = _value(value)
        _session(app).redo()
        app.workspace.changed()
        return out(app, keep_pending=list(v.get("pending") or []))


@user_errors(N_OUT)
def mark_reviewed(state, value):
    app = _app(state)
    with app.lock:
        take(app, value)
        _session(app)
        app.workspace.mark_reviewed()
        return out(app)


@user_errors(N_OUT + 1)
def add_class(state, name, value=None):
    app = _app(state)
    with app.lock:
        take(app, value)
        app.cls = app.workspace.add_class(str(name or ""))
        return (*out(app), "")
