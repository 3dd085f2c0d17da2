"""Uploads: without a served dataset, each browser's images form a dataset of its own, kept
across page reloads by a key in the browser's storage; and the page-load handler."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

import gradio as gr

from segcore.dataset.base import IMAGE_EXTS
from segcore.dataset.png import open_folder
from segcore.image import image_size

from . import team
from .actions import N_OUT, More, action, app_of, out
from .session import REQUEST, AppSession, UserError

KEY = re.compile(r"^[0-9a-f]{32}$")


# -- session start ------------------------------------------------------------------------
def load(state, key, request: gr.Request = None):
    """Page load: a browser keeps its uploads across reloads through a key in its storage.
    The session starts here, as the logged-in user (with accounts)."""
    token = REQUEST.set(request)
    try:
        app = app_of(state)
    finally:
        REQUEST.reset(token)
    if getattr(request, "session_hash", None):
        app.served.pages[request.session_hash] = app      # for page_closed (demo/session.py)
    if app.uploads:
        if not (isinstance(key, str) and KEY.match(key)):
            key = secrets.token_hex(16)
        folder = app.served.root / "uploads" / key
        if folder.is_dir() and folder != app.workspace.ds.root:
            _switch_uploads(app, folder)
        elif not folder.is_dir():
            folder.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(app.workspace.ds.root), folder)
            app.workspace.ds = open_folder(folder)
    team.open_note(app)
    return (*out(app), key)


def _switch_uploads(app: AppSession, folder: Path, index: int | None = None) -> None:
    ws = app.workspace
    ws.save()
    ws.ds = open_folder(folder)
    ws.index, ws.session = None, None
    if len(ws.ds):
        ws.open(ws.first_to_review() if index is None else index)


@action(outputs=N_OUT + 1)
def add_images(app, files, value=None):
    """Uploads join this session's dataset; the workspace moves to the first of them."""
    if not app.uploads:
        raise UserError("This app edits a dataset; images cannot be added here.")
    paths = [getattr(f, "name", f) for f in (files or [])]
    if not paths:
        raise UserError("Choose one or more images to add.")
    add_to_uploads(app, paths)
    return More((gr.update(value=None),))


def add_to_uploads(app: AppSession, paths) -> int:
    """Copy images into the session's dataset (a name that exists gets a number); open the first."""
    ws = app.workspace
    folder = ws.ds.root
    names = []
    taken = {q.stem for q in folder.iterdir()}
    for p in map(Path, paths):
        if p.suffix.lower() not in IMAGE_EXTS:
            raise UserError(f"{p.name} is not an image this app reads ({', '.join(IMAGE_EXTS)})")
        image_size(p)   # a broken file is refused here, with its name, before it joins
        base = re.sub(r"[^\w.-]", "_", p.stem).lstrip(".") or "image"
        stem, k = base, 1
        while stem in taken:      # items are named by stem: "a.jpg" and "a.png" may not share one
            k += 1
            stem = f"{base}-{k}"
        taken.add(stem)
        shutil.copyfile(p, folder / f"{stem}{p.suffix.lower()}")
        names.append(stem)
    _switch_uploads(app, folder)
    first = ws.ds.index_of(names[0])
    ws.open(first)
    return first
