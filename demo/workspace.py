"""The workspace panel's handlers: moving through the dataset and the editing tools.

Each handler takes the session state and the canvas value (which carries the strokes painted
but not applied, and the class selected in the list) and returns ``(state, canvas, files,
status)``. Pending strokes are applied before any other action, so no button loses them.
"""

from __future__ import annotations

import functools
import inspect
import json
from dataclasses import replace
from pathlib import Path

import gradio as gr

from segcore.dataset.prelabel import next_least_sure
from segcore.edit import OVERWRITE_RULES, polygon_region

from . import views
from .canvas import CanvasEvent
from .session import AppSession, Seed, UserError, new_session, user_errors

N_OUT = 4


def _value(value) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            raise UserError("the canvas value is not JSON") from None
    return value if isinstance(value, dict) else {}


def app_of(state) -> AppSession:
    """The session's state; its first event (or the page load) starts it."""
    if isinstance(state, AppSession):
        return state
    if isinstance(state, Seed):
        return new_session(state.served)
    raise UserError("This session has no app behind it; reload the page.")


def current_session(app: AppSession):
    if app.workspace.session is None:
        raise UserError("No image yet: add images first." if app.uploads else "The dataset has no images.")
    return app.workspace.session


def out(app: AppSession, keep_pending=None):
    """``(state, canvas, files, status)`` after any change."""
    for _, name, message in app.workspace.skipped:
        gr.Warning(f"Skipped {name}: {message}")
    app.workspace.skipped = []
    state = views.canvas_state(app)
    if keep_pending:
        state.pending = list(keep_pending)
    value = state.to_value()
    return app, value, views.files_html(app, app.only_open), views.status_md(app)


def take(app: AppSession, value, strokes: bool = True) -> dict:
    """The canvas value's selected class, overwrite rule and erase target, then (``strokes``)
    its pending strokes applied (one undo step)."""
    v = _value(value)
    view(app, v)
    if "cls" in v:
        try:
            app.cls = int(v["cls"])
        except (TypeError, ValueError):
            pass
    ws = app.workspace
    if v.get("overwrite") in OVERWRITE_RULES and v["overwrite"] != ws.rule.overwrite:
        ws.set_rule(replace(ws.rule, overwrite=v["overwrite"]))
    if "erase_to" in v:
        try:
            target = int(v["erase_to"])
        except (TypeError, ValueError):
            target = None
        if target is not None and target != ws.rule.erase_value(ws.label_set) and \
                (target == ws.label_set.void_index or 0 <= target < len(ws.label_set)):
            ws.set_rule(replace(ws.rule, erase_to=target))
    strokes = (v.get("pending") or []) if strokes else []
    if strokes and app.workspace.session is not None:
        if app.workspace.session.paint(strokes):
            app.workspace.changed()
    return v


def view(app: AppSession, v: dict) -> None:
    """What the canvas draws: the classes hidden by their eyes, outlines only, a big photo's
    whole mask (zoomed in)."""
    if isinstance(v.get("hidden"), list):
        n = len(app.workspace.label_set)
        app.hidden = frozenset(int(k) for k in v["hidden"] if isinstance(k, int) and 0 <= k < n)
    if "outline" in v:
        app.outline = bool(v["outline"])
    if "full_mask" in v:
        app.full_mask = bool(v["full_mask"])


def class_index(app: AppSession, class_name) -> int:
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
    user wondering (GrabCut finds nothing in a box of plain wall, say), and what the wand took."""
    if what == "box" and result is None and app.workspace.session.corner is not None:
        return                      # the first corner of a box
    s = app.workspace.session
    n = 0 if result is None else int((s.labels != before).sum())
    if result is not None:
        app.workspace.changed()
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


def action(apply_pending: bool = True, outputs: int = N_OUT):
    """A handler from ``fn(app, ..., value)``: the session (its first event starts it), under
    its lock, with the canvas's selected class and pending strokes taken first; a user's
    mistake is a warning with every view unchanged (through gradio_client it raises). ``fn``
    returns None for the views, or its own outputs. Gradio reads the parameter names (the
    API's) from ``fn``."""
    def deco(fn):
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())

        @functools.wraps(fn)
        def handler(state, *args, **kwargs):
            app = app_of(state)
            bound = sig.bind(app, *args, **kwargs)
            with app.lock:
                if apply_pending:
                    take(app, bound.arguments.get("value"))
                result = fn(*bound.args, **bound.kwargs)
                return out(app) if result is None else result
        handler.__signature__ = sig.replace(parameters=[params[0].replace(name="state"), *params[1:]])
        return user_errors(outputs)(handler)
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
def select_file(app, value, evt: gr.SelectData):
    app.workspace.open(int(evt.index))


@action()
def set_filter(app, only_open, value=None):
    app.only_open = bool(only_open)


# -- tools ----------------------------------------------------------------------------------
@action()
def canvas_select(app, value, evt: gr.SelectData):
    """An event of the canvas (browser, :class:`demo.canvas.CanvasEvent`): a point tool's
    click (add / remove / box corner / wand), a closed polygon, a class row's lock or colour,
    or a change of what is drawn (taken from the value above)."""
    e = CanvasEvent.of(evt)
    tool = e.tool
    cls_ = "" if e.cls is None else e.cls
    if tool == "lock":
        _lock(app, class_index(app, cls_), e.locked)
        return
    if tool == "view":
        return
    if tool == "colour":
        app.workspace.set_class_color(class_index(app, cls_), e.colour)
        return
    s = current_session(app)
    x, y = e.x, e.y
    cls = class_index(app, cls_)
    before = s.labels
    if tool in ("add", "remove"):
        _edited(app, s.click(x, y, tool == "add", cls), before, "click")
    elif tool == "box":
        _edited(app, s.box_corner(x, y, cls), before, "box")
    elif tool == "wand":
        _edited(app, s.wand(x, y, e.tolerance, cls), before, "wand")
    elif tool == "polygon":
        _edited(app, s.region(polygon_region(e.points, s.shape), cls), before, "polygon")
    else:
        raise UserError(f"unknown tool {tool!r}")


RULE_WORDS = {"any": "any pixel", "unlabelled": "only unlabelled pixels", "unlocked": "all but locked classes"}


def _overwrite(overwrite) -> str | None:
    """An API call's overwrite rule; empty: the app's current choice."""
    text = "" if overwrite is None else str(overwrite).strip().lower()
    if not text:
        return None
    if text not in OVERWRITE_RULES:
        raise UserError(f"overwrite is one of {', '.join(OVERWRITE_RULES)}; got {overwrite!r}")
    return text


def _lock(app: AppSession, cls: int, locked: bool) -> None:
    ws = app.workspace
    if not 0 <= cls < len(ws.label_set):
        raise UserError("Only a class can be locked.")
    keep = set(ws.rule.locked)
    keep = keep | {cls} if locked else keep - {cls}
    ws.set_rule(replace(ws.rule, locked=frozenset(keep)))
    if locked and ws.rule.overwrite == "any":
        gr.Info(f"{ws.label_set.names[cls]} is locked, but the overwrite rule is 'any pixel': choose "
                "'all but locked classes' for the lock to hold.")


def _mode(mode) -> bool:
    m = str(mode).strip().lower()
    if m in ("add", "1", "true", "positive", "+"):
        return True
    if m in ("remove", "0", "false", "negative", "-"):
        return False
    raise UserError(f"mode is add or remove, got {mode!r}")


@action()
def click_point(app, x, y, mode, class_name, overwrite="", value=None):
    """A positive (mode "add") or negative ("remove") click; ``overwrite``: any / unlabelled /
    unlocked (empty: the app's current choice)."""
    s = current_session(app)
    _edited(app, s.click(x, y, _mode(mode), class_index(app, class_name), _overwrite(overwrite)), s.labels, "click")


@action()
def box(app, x0, y0, x1, y1, class_name, overwrite="", value=None):
    s = current_session(app)
    _edited(app, s.box(x0, y0, x1, y1, class_index(app, class_name), _overwrite(overwrite)), s.labels, "box")


@action()
def wand(app, x, y, tolerance, class_name, overwrite="", value=None):
    """The wand at ``(x, y)``; ``tolerance`` empty or None: the one that suits the photo."""
    s = current_session(app)
    tol = None if tolerance in (None, "") else tolerance
    _edited(app, s.wand(x, y, tol, class_index(app, class_name), _overwrite(overwrite)), s.labels, "wand")


@action()
def polygon(app, points, class_name, overwrite="", value=None):
    """The inside of the polygon ``points`` (``[[x, y], ...]`` image pixels, or that as JSON
    text) takes the class, under the overwrite rule and the locks."""
    s = current_session(app)
    if isinstance(points, str):
        try:
            points = json.loads(points) if points.strip() else []
        except ValueError:
            raise UserError("points are [[x, y], ...], e.g. [[10, 10], [90, 10], [50, 80]]") from None
    region = polygon_region(points, s.shape)
    _edited(app, s.region(region, class_index(app, class_name), _overwrite(overwrite)), s.labels, "polygon")


@action()
def lock_class(app, class_name, locked, value=None):
    """Lock (or unlock) a class: under the rule "unlocked", no tool changes its pixels."""
    _lock(app, class_index(app, class_name), str(locked).strip().lower() not in ("false", "0", "", "no", "none"))


@action()
def set_overwrite(app, overwrite, value=None):
    """How tools write from now on: any, unlabelled (void and background only) or unlocked."""
    rule = _overwrite(overwrite)
    if rule is None:
        raise UserError(f"overwrite is one of {', '.join(OVERWRITE_RULES)}")
    ws = app.workspace
    ws.set_rule(replace(ws.rule, overwrite=rule))


@action()
def set_erase_to(app, class_name, value=None):
    """What the eraser and Remove write: a class, or "" for void (unlabelled)."""
    ws = app.workspace
    text = "" if class_name is None else str(class_name).strip()
    target = ws.label_set.void_index if text == "" else class_index(app, text)
    ws.set_rule(replace(ws.rule, erase_to=target))


@action()
def apply_edit(app, value=None):
    """Apply the pending brush and eraser strokes (the decorator does)."""
    current_session(app)


@action(apply_pending=False)
def undo(app, value=None):
    """Undo the last step; with strokes not yet applied, drop the last of them instead."""
    take(app, value, strokes=False)      # the page's class and rule stay as they are
    pending = list(_value(value).get("pending") or [])
    if pending:
        return out(app, keep_pending=pending[:-1])
    current_session(app).undo()
    app.workspace.changed()


@action(apply_pending=False)
def redo(app, value=None):
    """Redo a step; strokes not yet applied stay pending."""
    take(app, value, strokes=False)
    current_session(app).redo()
    app.workspace.changed()
    return out(app, keep_pending=list(_value(value).get("pending") or []))


@action()
def mark_reviewed(app, value=None):
    current_session(app)
    app.workspace.mark_reviewed()


@action(outputs=N_OUT + 1)
def add_class(app, name, value=None):
    app.cls = app.workspace.add_class(str(name or ""))
    return (*out(app), "")


@action(outputs=N_OUT + 1)
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
    return (*out(app), "")


def first_screen(state):
    """Whether the page shows the first screen: images, but no classes yet."""
    if not isinstance(state, AppSession):
        return gr.update(visible=False)
    ws = state.workspace
    return gr.update(visible=bool(len(ws)) and ws.label_set.names == ("background",))
