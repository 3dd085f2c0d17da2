"""The prompter menu ("Clicks and boxes with"): which model answers a session's clicks and boxes
(the answering itself, downloads and the shared loaded models: :mod:`.clicks`).

The menu lists the registry's prompters for any object (``auto`` first), each with its state on
this machine; the choice is per session (``AppSession.prompter_choice``). The status line says
while weights download or the current item is being encoded, a timer refreshing it. Weights:
the cache folder under the published names, a file uploaded under Model details, or files named
in ``SEGCORE_WEIGHTS`` (``NAME=FILE``; ``SEGCORE_SAM_WEIGHTS`` is its older name).
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from segcore.errors import SegcoreError
from segcore.models.registry import PROMPT, get, names
from segcore.models.resolve import resolve
from segcore.models.weights import checkpoint_dir, named_weights as read_named

from .clicks import (DEFAULT, _downloading, _loaded, answer, busy, encoding, factory, install,  # noqa: F401
                     item_key, opened)
from .weights import given

LOG = logging.getLogger("segcore.app")

ENCODING = "encoding the image for clicks…"


def menu_names() -> list[str]:
    """The menu's entries: the registry's prompters for any object (the selfie model, for people
    only, answers a "person" class under ``auto``)."""
    return [n for n in names(PROMPT) if get(n).objects is None]


def named_weights() -> dict[str, Path]:
    """``{entry: file}`` from ``SEGCORE_WEIGHTS`` / ``SEGCORE_SAM_WEIGHTS``; a part that names
    nothing is left out (logged), so a typo never stops the app."""
    found, bad = read_named()
    for part in bad:
        LOG.warning("SEGCORE_WEIGHTS: %r is not NAME=FILE of an existing file", part)
    return found


def _state(name: str, app=None) -> str:
    spec = get(name)
    if spec.missing_packages():
        return "needs pip install " + " ".join(spec.missing_packages())
    if name in named_weights() or (app is not None and name in given(app)):
        return "weights named"
    if not spec.needs_weights:
        return "no weights needed"
    if spec.weights_available():
        return "weights here"
    try:
        downloadable = resolve(name, PROMPT).fetch
    except SegcoreError:
        downloadable = False
    return "downloads when chosen" if downloadable else "weights missing"


def _auto_label() -> str:
    try:
        c = resolve("auto", PROMPT)
    except SegcoreError:
        return "auto: GrabCut"
    if c.fetch:
        return f"auto: {c.spec.title} (downloads at the first click; GrabCut meanwhile)"
    if c.note:
        return f"auto: {c.spec.title} (no {_best_general().title} weights here)"
    return f"auto: {c.spec.title}"


def _best_general():
    ranked = sorted((get(n) for n in menu_names() if PROMPT in get(n).auto), key=lambda s: s.auto[PROMPT])
    return ranked[0]


def choices() -> list[tuple[str, str]]:
    """The menu, ``(label, value)``, each label with the prompter's state on this machine."""
    return [(_auto_label(), DEFAULT)] + [(f"{get(n).title} · {_state(n)}", n) for n in menu_names()]


def card(app=None) -> str:
    """A Markdown line per prompter with its state (as ``segcore models`` lists them)."""
    rows = []
    for n in menu_names():
        spec = get(n)
        f = spec.published.file_name if spec.published else None
        rows.append(f"- `{n}`: {_state(n, app)}" + (f" (`{f}`)" if f else ""))
    return "\n".join(["**Clicks and boxes** (the menu above the canvas):", *rows,
                      f"- weights folder: `{checkpoint_dir()}` (or upload the file below, or name files in "
                      "`SEGCORE_WEIGHTS`)"])


def status_note(app) -> str:
    """`` · downloading …`` / `` · encoding the image for clicks…`` for the status line, else ``""``."""
    try:
        d = _downloading(app)
        if d is not None:
            return f" · {d.describe()} (GrabCut answers meanwhile)"
        return f" · {ENCODING}" if encoding(app) else ""
    except Exception:   # noqa: BLE001 - the status line must never fail over this
        return ""


def recall(remembered):
    """The prompter menu at page load: the choice this browser made last, where it still is one."""
    name = str(remembered or "")
    return gr.update(value=name) if name in menu_names() else gr.skip()


def set_prompter(app, prompter, value=None):
    """The choice of this session's clicks and boxes: auto, or a prompter of the registry."""
    text = str(prompter or "").strip().lower()
    if text != DEFAULT and text not in menu_names():
        raise _user_error(f"prompter is one of {', '.join([DEFAULT, *menu_names()])}; got {prompter!r}")
    app.prompter_choice, app.prompter_state = text, None   # worked out again: the file may be here now
    app.prompter_told = {k for k in app.prompter_told if k.split(":")[0] != text}   # always answered
    c, note = answer(app, None)
    app.workspace.set_prompter(factory(app))
    ws = app.workspace
    if ws.session is not None:
        opened(app, ws.index, ws.session.rgb)
    if note is None:
        gr.Info(f"Clicks and boxes with {c.spec.title}.")


def _user_error(message: str):
    from .session import UserError

    return UserError(message)


def watch(state):
    """``status.change``: while the current item is being encoded or weights are downloading, a
    timer refreshes the status line, so the note goes when it is done."""
    from .session import AppSession

    return gr.Timer(active=isinstance(state, AppSession) and busy(state))


def tick(state):
    from . import views
    from .session import AppSession

    if not isinstance(state, AppSession):
        return gr.skip(), gr.Timer(active=False)
    return views.status_md(state), gr.Timer(active=busy(state))
