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

import gradio as gr

from segcore.dataset.presence import Presence
from segcore.errors import SegcoreError

from .actions import More, current_session, out, pending_of, take
from .auth import user_of
from .session import REQUEST, AppSession, UserError, from_api, user_message

#: How often (seconds) an open page looks for others' changes and presence.
POLL = 5.0
#: The History tab's columns.
HISTORY_HEADERS = ["version", "when", "who", "what", "changed", "kind"]


def user_now(served):
    """The user of the event being handled (``local`` without accounts)."""
    return user_of(REQUEST.get(), getattr(served, "users", None))


def join(app: AppSession) -> None:
    """A new session: who it is, and its presence on the served dataset."""
    user = user_now(app.served)
    ws = app.workspace
    ws.user, ws.reviewer = user.name, user.reviewer
    if not app.uploads:
        app.presence = Presence(ws.ds.root, user.name)     # a name of its own, not the photo key
        app.presence.here(ws.name)


def others_here(app: AppSession) -> dict[str, list[str]]:
    """``{item name: [users]}`` of the other sessions on this dataset."""
    return {} if app.presence is None else app.presence.others()


def open_note(app: AppSession) -> None:
    """Opening an item someone else has open says so (once per item)."""
    ws = app.workspace
    if app.presence is None or ws.name is None or app.told_open == ws.name:
        return
    app.told_open = ws.name
    who = app.presence.others(max_age=0).get(ws.name)   # fresh: the file list's read may be a second old
    if who:
        names = ", ".join(who) if who != ["local"] else "another session"
        gr.Info(f"{names} {'has' if len(who) == 1 else 'have'} {ws.name} open too: your changes and theirs are "
                "merged as you save; where you both change the same pixels you will be asked which to keep.")


def settle(app: AppSession, adopt: bool = True) -> None:
    """Others' changes to the open item come in (a line each; not with ``adopt=False``); a
    conflict is said once (an API call raises it). An API call first waits for its own save."""
    ws = app.workspace
    api = from_api(REQUEST.get())
    before = _selected_class(ws)
    try:
        if api:
            ws.save()
        ws.sync(adopt)
        after_sync = _selected_class(ws)
        if before is not None and after_sync is not None and after_sync[0] == before[0] \
                and after_sync[1] != before[1] and app.cls == before[1]:
            app.cls = after_sync[1]      # someone changed its class: the next tool still acts on it
    except SegcoreError as e:
        if api:
            raise
        gr.Warning(user_message(e))      # a conflict: the page shows Keep mine / Take theirs
    for note in ws.notes:
        gr.Info(note)
    ws.notes.clear()


def _selected_class(ws) -> tuple[int, int] | None:
    """(id, class) of the open item's selected object, or None."""
    s = ws.session
    if s is None or not getattr(s, "has_objects", False) or s.selected is None:
        return None
    o = s.objects.find(s.selected)
    return None if o is None else (o.id, o.cls)


def after(app: AppSession) -> None:
    """At the end of every action, under the session's lock: others' changes, presence, and
    who else has a newly opened item open."""
    settle(app)
    if app.presence is not None:
        app.presence.here(app.workspace.name)
    open_note(app)
    app.shown_conflict = app.workspace.conflict      # the views made next show it


# -- the conflict -----------------------------------------------------------------------------
def conflict_view(state):
    """The conflict bar above the canvas: shown with its message while a conflict is open."""
    if not isinstance(state, AppSession) or state.workspace.conflict is None:
        return gr.update(visible=False), gr.update()
    return gr.update(visible=True), f"**Conflict.** {user_message(state.workspace.conflict)}"


def keep_mine(app, value=None):
    resolve_conflict(app, "mine", value)


def take_theirs(app, value=None):
    resolve_conflict(app, "theirs", value)


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
    return [[v.number, v.when, v.who, v.tool or "-",
             f"{v.pixels:,}" + (f" ({v.objects} object{'s' if v.objects != 1 else ''})" if v.objects else ""),
             v.kind] for v in reversed(versions)]


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
    and the file list's marks of who has which item open. Each view is sent only when it
    changed (a page left open costs a ``stat`` or two, and its class and tool stay as chosen)."""
    skip = gr.skip()
    if not isinstance(state, AppSession) or not state.lock.acquire(blocking=False):
        return (skip,) * 6
    app = state
    try:
        ws = app.workspace
        before_version = None if ws.session is None else ws.session.version
        if app.presence is not None:
            app.presence.here(ws.name)
        try:
            # strokes the page holds were drawn on what it shows: others' changes wait for the
            # next action, which applies the strokes first (a clash is then a conflict)
            settle(app, adopt=not pending_of(value))
        except Exception:  # noqa: BLE001 - a failed look is tried again at the next tick
            return (skip,) * 6
        marks = tuple(sorted((k, tuple(v)) for k, v in others_here(app).items()))
        changed = ws.session is not None and ws.session.version != before_version
        conflict = ws.conflict is not app.shown_conflict
        if not (changed or conflict or marks != app.seen_presence):
            return (skip,) * 6
        app.seen_presence, app.shown_conflict = marks, ws.conflict
        if changed:
            take(app, value, strokes=False)     # the page's class, rule and view, as it has them now
        _, canvas, files, status = out(app, keep_pending=pending_of(value))
        bar = conflict_view(app) if conflict else (skip, skip)
        return (skip, canvas if changed else skip, files, status if changed or conflict else skip, *bar)
    finally:
        app.lock.release()


# -- the layout and its wiring (called by app.py) -------------------------------------------------
CSS = """
#conflict-bar { border: 2px solid #d97706 !important; background: rgba(217, 119, 6, .08) !important; padding: 4px 8px !important; }
#conflict-text p { margin: 0 !important; font-size: 13px; }
"""


def conflict_bar() -> dict:
    """The bar above the canvas, shown while the open item has a conflict."""
    with gr.Group(visible=False, elem_id="conflict-bar") as bar:
        with gr.Row(equal_height=True):
            text = gr.Markdown("", elem_id="conflict-text")
            keep = gr.Button("Keep mine", variant="primary", size="sm", scale=0, min_width=110, elem_id="keep-mine-btn")
            take = gr.Button("Take theirs", size="sm", scale=0, min_width=110, elem_id="take-theirs-btn")
    return {"bar": bar, "text": text, "keep": keep, "take": take}


def history_tab() -> dict:
    """The History tab: the open item's versions, and Restore."""
    with gr.Tab("History", id="history") as tab:
        title = gr.Markdown("Open this tab to see the open item's versions.", elem_id="history-title")
        table = gr.Dataframe(headers=HISTORY_HEADERS, value=[], interactive=False, elem_id="history-table",
                             max_height=260, wrap=True)
        with gr.Row():
            version = gr.Number(label="Version to restore", precision=0, minimum=1, elem_id="history-version",
                                scale=1)
            restore = gr.Button("Restore", variant="primary", elem_id="restore-btn", scale=1)
    return {"tab": tab, "title": title, "table": table, "version": version, "restore": restore}


def wire(state, canvas, files, status, bar: dict, hist: dict, api_choice) -> None:
    """The events of the conflict bar, the History tab, the presence timer and their API."""
    from .actions import N_OUT, action

    ws_out = [state, canvas, files, status]
    both = [state, canvas]
    shown = [bar["bar"], bar["text"]]
    for button, fn in ((bar["keep"], keep_mine), (bar["take"], take_theirs)):
        button.click(action()(fn), both, ws_out, api_visibility="private").then(
            conflict_view, state, shown, api_visibility="private", show_progress="hidden")
    api_choice.submit(action()(resolve_conflict), [state, api_choice, canvas], ws_out, api_name="resolve_conflict")
    status.change(conflict_view, state, shown, api_visibility="private", show_progress="hidden")
    views = [hist["title"], hist["table"]]
    hist["tab"].select(show_history, state, views, api_visibility="private")
    status.change(show_history, state, views, api_visibility="private", show_progress="hidden")
    hist["restore"].click(action(outputs=N_OUT + 2)(restore_version), [state, hist["version"], canvas],
                          [*ws_out, *views], api_name="restore_version")
    hist["table"].select(_pick_version, None, hist["version"], api_visibility="private")
    gr.Button("item_history", visible=False).click(action(outputs=N_OUT + 2)(item_history), both,
                                                     [*ws_out, *views], api_name="item_history")
    gr.Timer(POLL).tick(poll, both, [*ws_out, *shown], api_visibility="private", show_progress="hidden")


def _pick_version(evt: gr.SelectData):
    """A click on a row of the History table puts its version in the box."""
    row = evt.row_value if isinstance(getattr(evt, "row_value", None), list) else None
    return row[0] if row else gr.skip()
