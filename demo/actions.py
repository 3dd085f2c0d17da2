"""How a handler becomes an event of the app: the session it acts on, the canvas value it
reads (the class selected, the rule, pending strokes), the views it returns.

A handler is a plain function ``fn(app, ..., value=None)`` of an :class:`AppSession`; it
changes the session and returns None (the views are made from the session), :class:`Kept`
(undo and redo: which pending strokes stay), :class:`More` (the views and outputs of its own)
or its own outputs. ``action()(fn)`` makes it a
Gradio event (a button, an API endpoint); :mod:`demo.protocol` calls the same functions for
the canvas's events.
"""

from __future__ import annotations

import functools
import inspect
import json
from dataclasses import dataclass, replace

import gradio as gr

from segcore.edit import OVERWRITE_RULES

from . import views
from .canvas import BIG_FIELDS, for_page, whole
from .session import AppSession, Seed, UserError, new_session, user_errors

N_OUT = 4


@dataclass(frozen=True)
class Kept:
    """A handler's answer that leaves ``pending`` (strokes of the value) pending; the value's
    other strokes are taken (dropped by undo)."""

    pending: list


class More(tuple):
    """A handler's answer: the views, then these outputs of its own (``More(("",))``)."""


def value_dict(value) -> dict:
    """The canvas value as a dict (an API client may send it as JSON text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            raise UserError("the canvas value is not JSON") from None
    return value if isinstance(value, dict) else {}


def pending_of(value) -> list:
    strokes = value_dict(value).get("pending") or []
    return list(strokes) if isinstance(strokes, list) else []


def stroke_ids(strokes) -> list[int]:
    """The page's ids of ``strokes`` (an API client's strokes have none)."""
    return [s["id"] for s in strokes if isinstance(s, dict) and isinstance(s.get("id"), int)]


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


def object_id(obj_id) -> int | None:
    """An object id as given (a number, or its text); None or empty: none."""
    if obj_id is None or (isinstance(obj_id, str) and not obj_id.strip()):
        return None
    try:
        value = float(obj_id)
    except (TypeError, ValueError):
        raise UserError(f"an object id is a whole number; got {obj_id!r}") from None
    if not value.is_integer():
        raise UserError(f"an object id is a whole number; got {obj_id!r}")
    return int(value)


def on_object(app: AppSession, obj_id) -> dict:
    """A tool's keyword for the object an API call names (``obj=``); ``{}`` for none."""
    k = object_id(obj_id)
    if k is None:
        return {}
    if not current_session(app).has_objects:
        raise UserError("This item has no objects: leave the object id empty.")
    return {"obj": k}


def out(app: AppSession, keep_pending=None, taken=(), ack: int | None = None, have=None):
    """``(state, canvas, files, status)`` after any change. ``taken``: the strokes of the value
    the event took; ``ack``: the page's request it answers, ``have``: the ``seq`` of the last
    value the page shows (when that is the last one sent, the answer leaves out the large
    fields the page already has and sends the changes of the others: :func:`demo.canvas.for_page`)."""
    for _, name, message in app.workspace.skipped:
        gr.Warning(f"Skipped {name}: {message}")
    app.workspace.skipped = []
    from .polygons import notice   # (it imports this module)

    notice(app)
    state = views.canvas_state(app)
    state.pending = list(keep_pending or [])
    state.taken = stroke_ids(taken)
    state.ack = ack
    value = state.fields()
    if ack is not None and have is not None and have == app.sent.get("seq"):
        value = for_page(value, app.sent)
    else:
        app.sent = {k: value[k] for k in BIG_FIELDS}
        value = whole(value)
    app.sent["seq"] = value["seq"]
    return app, value, views.files_html(app, app.only_open), views.status_md(app)


def take(app: AppSession, value, strokes: bool = True, obj_id=None) -> list:
    """The canvas value's selected class, overwrite rule, erase target and view, then
    (``strokes``) its pending strokes applied (one undo step; ``obj_id``: on that object);
    returns the strokes taken."""
    v = value_dict(value)
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
    painted = pending_of(v) if strokes else []
    if painted and ws.session is not None:
        if ws.session.paint(painted, **on_object(app, obj_id)):
            ws.changed(tool="eraser" if all(isinstance(p, dict) and p.get("erase") for p in painted) else "brush")
    return painted if ws.session is not None else []


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


def reply(app: AppSession, result, value, taken: list, ack: int | None = None):
    """The outputs for a handler's ``result`` (see the module's docstring), after others'
    changes to the open item came in (:func:`demo.team.after`)."""
    from . import team   # (it imports this module)

    team.after(app)
    have = value_dict(value).get("seq") if ack is not None else None
    if isinstance(result, Kept):
        kept = set(stroke_ids(result.pending))
        dropped = [s for s in pending_of(value) if isinstance(s, dict) and s.get("id") not in kept]
        return out(app, keep_pending=result.pending, taken=[*taken, *dropped], ack=ack, have=have)
    if isinstance(result, More):
        return (*out(app, taken=taken, ack=ack, have=have), *result)
    return out(app, taken=taken, ack=ack, have=have) if result is None else result


def action(apply_pending: bool = True, outputs: int = N_OUT):
    """A Gradio handler from ``fn(app, ..., value)``: the session (its first event starts it),
    under its lock, with the canvas's selected class, rule and (``apply_pending``) pending
    strokes taken first (on the object ``obj_id`` where ``fn`` has that parameter); a user's mistake is a warning with every view unchanged (through
    gradio_client it raises). Gradio reads the parameter names (the API's) from ``fn``."""
    def deco(fn):
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())

        @functools.wraps(fn)
        def handler(state, *args, **kwargs):
            app = app_of(state)
            bound = sig.bind(app, *args, **kwargs)
            value = bound.arguments.get("value")
            with app.lock:
                taken = take(app, value, strokes=apply_pending, obj_id=bound.arguments.get("obj_id"))
                return reply(app, fn(*bound.args, **bound.kwargs), value, taken)
        handler.__signature__ = sig.replace(parameters=[params[0].replace(name="state"), *params[1:]])
        return user_errors(outputs)(handler)
    return deco
