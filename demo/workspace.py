"""The workspace panel's handlers: moving through the dataset, applying, undoing, marking
reviewed, adding classes. Each is a plain function of the session (see demo/actions.py), made a
button's event and an API endpoint in app.py and called by the canvas's events
(demo/protocol.py) alike. Pending strokes are applied before any of them, so none loses them.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from segcore.dataset.prelabel import next_least_sure

from .actions import Kept, More, current_session, pending_of
from .objects import follow
from .session import AppSession, UserError


# -- moving ---------------------------------------------------------------------------------
def next_item(app, value=None):
    app.workspace.step(1)


def prev_item(app, value=None):
    app.workspace.step(-1)


def next_open(app, value=None):
    if app.least_sure_first:   # the Train panel's review order (demo/train.py)
        with app.workspace.lock:
            nxt = next_least_sure(app.workspace.ds, app.workspace.index)
        app.workspace.open(nxt)
        return
    app.workspace.step(1, not_reviewed=True)


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


def select_file(app, value, evt: gr.SelectData):
    app.workspace.open(int(evt.index))


def set_filter(app, only_open, value=None):
    app.only_open = bool(only_open)


def apply_edit(app, value=None, obj_id=None):
    """Apply the pending brush and eraser strokes (the decorator does; ``obj_id``: on that
    object, else the selected one or a new one)."""
    current_session(app)


def undo(app, value=None):
    """Undo the last step; with strokes not yet applied, drop the last of them instead (the
    page drops its own; an API client's are in ``value``). Made with ``apply_pending=False``."""
    pending = pending_of(value)
    if pending:
        return Kept(pending[:-1])
    s = current_session(app)
    s.undo()
    follow(app, s)              # the object selected again: its class is the tools' again
    app.workspace.changed(tool="undo")


def redo(app, value=None):
    """Redo a step; strokes not yet applied stay pending. Made with ``apply_pending=False``."""
    s = current_session(app)
    s.redo()
    follow(app, s)
    app.workspace.changed(tool="redo")
    return Kept(pending_of(value))


def mark_reviewed(app, value=None):
    current_session(app)
    app.workspace.mark_reviewed()


def add_class(app, name, value=None):
    app.cls = app.workspace.add_class(str(name or ""))
    return More(("",))


def add_classes(app, names, value=None):
    """The first screen of a dataset with no classes: several names, comma separated, after
    ``background`` (class 0, drawn clear, what the eraser writes)."""
    parts = [p.strip() for p in str(names or "").replace("\n", ",").split(",") if p.strip()]
    if not parts:
        raise UserError("Type the classes, separated by commas (e.g. road, car, person).")
    ws = app.workspace
    first = None
    for name in parts:
        if name in ws.label_set.names:
            continue
        k = ws.add_class(name)
        first = k if first is None else first
    if first is not None:
        app.cls = first
    return More(("",))


def first_screen(state):
    """Whether the page shows the first screen: images, but no classes yet."""
    if not isinstance(state, AppSession):
        return gr.update(visible=False)
    ws = state.workspace
    return gr.update(visible=bool(len(ws)) and ws.label_set.names == ("background",))
