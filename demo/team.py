"""Working as a team in the app: who the session's user is, others' saves coming in, the
conflict and its two buttons, who else has an item open, and the History tab.

After every action (:func:`after`) the open item takes in what others did to it since: their
saves merged in (a line for each), or a conflict, said once, where this session's edit and
theirs changed the same pixels. The edit is made first, on what the user saw, so an edit over
pixels someone else changed meanwhile is a conflict, never a silent overwrite. An API call
waits for its own save, so a script hears of a conflict from the call that caused it. A timer
(:func:`poll`) does the same every few seconds for a page left alone, and keeps the file
list's marks of who has which item open. The algorithms are in segcore (:mod:`segcore.dataset.
sync`, :mod:`.shared`, :mod:`.revisions`, :mod:`.presence`).
"""

from __future__ import annotations

import contextvars

import gradio as gr

from segcore.dataset.presence import Presence
from segcore.errors import ConflictError

from .actions import More, current_session, out, pending_of
from .auth import user_of
from .session import AppSession, UserError, from_api, user_message

#: How often (seconds) an open page looks for others' changes and presence.
POLL = 5.0
#: The History tab's columns.
HISTORY_HEADERS = ["version", "when", "who", "what", "pixels changed", "kind"]

#: The request of the event being handled (set by session.user_errors), for who and from where.
REQUEST: contextvars.ContextVar = contextvars.ContextVar("segcore_request", default=None)


def user_now(served):
    """The user of the event being handled (``local`` without accounts)."""
    return user_of(REQUEST.get(), getattr(served, "users", None))


def join(app: AppSession) -> None:
    """A new session: who it is, and its presence on the served dataset."""
    user = user_now(app.served)
    ws = app.workspace
    ws.user, ws.reviewer = user.name, user.reviewer
    if not app.uploads:
        app.presence = Presence(ws.ds.root, user.name, session=app.key[:16])
        app.presence.here(ws.name)


def leave(app: AppSession) -> None:
    if app.presence is not None:
        app.presence.leave()


def others_here(app: AppSession) -> dict[str, list[str]]:
    """``{item name: [users]}`` of the other sessions on this dataset."""
    return {} if app.presence is None else app.presence.others()


def open_note(app: AppSession) -> None:
    """Opening an item someone else has open says so (once per item)."""
    ws = app.workspace
    if app.presence is None or ws.name is None or app.told_open == ws.name:
        return
    app.told_open = ws.name
    who = others_here(app).get(ws.name)
    if who:
        names = ", ".join(who) if who != ["local"] else "another session"
        gr.Info(f"{names} {'has' if len(who) == 1 else 'have'} {ws.name} open too: your changes and theirs are "
                "merged as you save; where you both change the same pixels you will be asked which to keep.")


def settle(app: AppSession) -> None:
    """Others' changes to the open item come in (a line each); a conflict is said once (an API
    call raises it). An API call first waits for its own save."""
    ws = app.workspace
    api = from_api(REQUEST.get())
    try:
        if api:
            ws.save()
        ws.sync()
    except ConflictError as e:
        if api:
            raise
        gr.Warning(user_message(e))      # the page shows Keep mine / Take theirs (conflict_view)
    for note in ws.notes:
        gr.Info(note)
    ws.notes.clear()


def after(app: AppSession) -> None:
    """At the end of every action, under the session's lock: others' changes, presence, and
    who else has a newly opened item open."""
    settle(app)
    if app.presence is not None:
        app.presence.here(app.workspace.name)
    open_note(app)


# -- the conflict -----------------------------------------------------------------------------
def conflict_view(state):
    """The conflict bar above the canvas: shown with its message while a conflict is open."""
    if not isinstance(state, AppSession) or state.workspace.conflict is None:
        return gr.update(visible=False), gr.update()
    return gr.update(visible=True), f"**Conflict.** {user_message(state.workspace.conflict)}"


def resolve_conflict(app, choice, value=None):
    """Settle the open conflict: ``mine`` (keep mine: your version of the clashing pixels) or
    ``theirs`` (take theirs: the version on disk); every other change of both sides stays."""
    text = str(choice or "").strip().lower().replace("keep ", "").replace("take ", "")
    if text not in ("mine", "theirs"):
        raise UserError(f"choose mine or theirs, not {choice!r}")
    current_session(app)
    if app.workspace.conflict is None:
        raise UserError("There is no conflict to settle on this item.")
    app.workspace.resolve(text)
    gr.Info("Kept your version of the clashing pixels." if text == "mine" else
            "Took their version of the clashing pixels.")


# -- history ----------------------------------------------------------------------------------
def history_rows(app: AppSession) -> list[list]:
    """The open item's versions, newest first, as the History tab shows them."""
    ws = app.workspace
    if ws.session is None:
        return []
    with ws.lock:
        versions = ws.ds.item_versions(ws.index)
    return [[v.number, v.when, v.who, v.tool or "-", v.pixels, v.kind] for v in reversed(versions)]


def history_title(app: AppSession, rows) -> str:
    ws = app.workspace
    if ws.session is None:
        return "No item open."
    if not rows:
        return f"**{ws.name}** has no saved versions yet: each save adds one."
    return (f"**{ws.name}**: {len(rows)} version{'s' if len(rows) != 1 else ''}, newest first. "
            "Restore one: its labels become the item's as one step (Undo takes it back).")


def show_history(state):
    """The History tab: the open item's versions."""
    if not isinstance(state, AppSession):
        return gr.update(), gr.update()
    rows = history_rows(state)
    return history_title(state, rows), rows


def item_history(app, value=None):
    """The open item's versions, newest first: ``[version, when, who, what, pixels, kind]`` rows."""
    current_session(app)
    rows = history_rows(app)
    return More((history_title(app, rows), rows))


def restore_version(app, version, value=None):
    """Version ``version`` of the open item (History tab) becomes its labels: one undoable
    step, saved like an edit."""
    current_session(app)
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise UserError("Give the number of a version (the History tab's first column).") from None
    ws = app.workspace
    with ws.lock:
        v = next((v for v in ws.ds.item_versions(ws.index) if v.number == number), None)
    ws.restore(number)
    if v is not None:
        gr.Info(f"Restored version {number} of {ws.name} ({v.who}, {v.when}); Undo takes it back.")
    rows = history_rows(app)
    return More((history_title(app, rows), rows))


# -- the timer --------------------------------------------------------------------------------
def poll(state, value):
    """Every :data:`POLL` seconds while a page is open: others' changes to its item, a conflict,
    and the file list's marks of who has which item open. Outputs nothing when nothing changed
    (a page left open costs a ``stat`` or two)."""
    skip = (gr.skip(),) * 4
    if not isinstance(state, AppSession) or not state.lock.acquire(blocking=False):
        return skip
    app = state
    try:
        ws = app.workspace
        before_version = None if ws.session is None else ws.session.version
        conflict = ws.conflict
        if app.presence is not None:
            app.presence.here(ws.name)
        try:
            settle(app)
        except Exception:  # noqa: BLE001 - a failed look is tried again at the next tick
            return skip
        marks = tuple(sorted((k, tuple(v)) for k, v in others_here(app).items()))
        changed = ws.session is not None and ws.session.version != before_version
        if not changed and conflict is ws.conflict and marks == app.seen_presence:
            return skip
        app.seen_presence = marks
        return out(app, keep_pending=pending_of(value))
    finally:
        app.lock.release()
