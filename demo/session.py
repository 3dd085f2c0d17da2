"""What one browser session (or one API client) works on, and how user errors are shown.

A session holds a :class:`segcore.dataset.Workspace`: on the dataset the app was started with
(shared by all sessions, one lock), or on a dataset of the session's own uploads in a folder
of its own, inside the app's folder (:mod:`.folders`, removed when the server stops).

The browser is told no server path: the photo on the canvas is reached at
``/segcore/photo/<key>/<n>.jpg``, where ``key`` is an unguessable key of the session that owns
it (another session's key is needed to see its pictures) and ``n`` changes with the picture.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import inspect
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr

from segcore.dataset import Workspace, open_dataset
from segcore.dataset.png import open_folder
from segcore.errors import SegcoreError

from . import folders

LOG = logging.getLogger("segcore.app")


#: This process's app folder: each app and session gets a folder in it.
ROOT = folders.root()
#: Live sessions by key: the picture route finds a session's photo here, and the server's
#: end saves their open items.
SESSIONS: "weakref.WeakValueDictionary[str, AppSession]" = weakref.WeakValueDictionary()
PHOTO_ROUTE = "/segcore/photo/{key}/{name}"


@dataclass
class Served:
    """What one app serves: a dataset (None: every session uploads its own images)."""

    dataset: object | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="app-", dir=ROOT)))
    users: object | None = None       # the accounts (segcore.accounts.Users), None: everyone is local
    pages: dict = field(default_factory=dict)   # a browser page's Gradio session hash -> its AppSession


def serve(data: str | os.PathLike | None, users=None) -> Served:
    """Open the dataset to serve (``None``: uploads only); ``users``: its accounts."""
    return Served(open_dataset(data) if data else None, users=users)


class Seed:
    """The initial value of a session's state: which app the session belongs to. Gradio copies
    a state's initial value for each session; this one is shared, not copied."""

    def __init__(self, served: Served):
        self.served = served

    def __deepcopy__(self, memo):
        return self


@dataclass(slots=True, weakref_slot=True)
class AppSession:
    """What one browser session (or API client) works on, every field declared here: a module
    that needs a session's state adds its field to this class (slots: no attribute can be
    added from outside)."""

    served: Served
    workspace: Workspace
    folder: Path                      # this session's pictures, exports, uploads
    lock: threading.Lock = field(default_factory=threading.Lock)
    # -- the canvas (demo/views.py, demo/actions.py) -------------------------------------------
    counter: int = 0
    cls: int = 1                      # the class selected in the list
    only_open: bool = False           # the file list shows only items not reviewed
    n_classes: int = 0                # how many classes the browser was last shown
    hidden: frozenset = frozenset()   # classes the canvas does not draw (the eyes in the list)
    outline: bool = False             # the canvas draws the mask's outlines only
    overlap: tuple = (None, 0)        # (the objects, pixels two of them cover) for the legend
    edges_cache: tuple = (None, None, None)   # (the objects, (shape, hidden classes), Layer) of their boundaries
    polygon_noted: tuple = ()         # (edit session, version) whose polygon notice was shown (demo/polygons.py)
    mask_cache: tuple = (None, None, None, None)   # (labels, label set, what is drawn, PNG data URL)
    outlines_cache: tuple = (None, None)   # (the objects, their simplified outlines by id)
    outline_parts: dict = field(default_factory=dict)   # id -> (object, its simplified outlines)
    rows_known: dict = field(default_factory=dict)   # id -> (what its row shows, the row) (demo/object_views.rows)
    sent: dict = field(default_factory=dict)   # the canvas's large fields the page was last sent (demo/canvas.py)
    # -- the photo served to the canvas (demo/views.py, photo_response) -------------------------
    key: str = field(default_factory=lambda: secrets.token_urlsafe(24))   # the pictures' key
    photo_url: str | None = None
    photo_key: tuple | None = None
    photo: bytes | None = None        # the canvas photo (JPEG) served under the key
    photo_name: str = ""
    photo_full: object = None         # the photo at full resolution (RGB) where the canvas got a smaller one
    photo_full_jpeg: bytes | None = None   # ... as JPEG, made when the user first zooms past the smaller one
    full_mask: bool = False           # the canvas is sent the whole mask of a big photo (zoomed in)
    photo_scale: float = 1.0          # the canvas photo's size relative to the photo's
    recent: list = field(default_factory=list)   # picture files made for this session, newest last
    # -- the prompter menu (demo/prompters.py) --------------------------------------------------
    prompter_choice: str = "auto"     # the menu "Clicks and boxes with"
    prompter_state: tuple | None = None   # (choice, {"failed": {name: note}, "download": Download})
    prompter_told: set = field(default_factory=set)   # choices whose fallback the session was told
    # -- weights files given in Model details or Portrait (demo/weights.py) ----------------------
    given_weights: dict = field(default_factory=dict)  # registry entry -> this session's own file
    # -- the Train panel (demo/train.py) --------------------------------------------------------
    least_sure_first: bool = False    # the review order: the file list and Next not reviewed
    uncertain_below: float | None = None   # uncertain pixels drawn on the canvas below this (None: off)
    uncertain_cache: tuple = (None, None)  # ((dataset, item, threshold), PNG data URL) of that layer
    train_plot_key: tuple | None = None    # (training, epochs) of the curve last drawn
    train_seen: tuple | None = None        # (training, state) the model menus were last updated for
    # -- working as a team (demo/team.py) -------------------------------------------------------
    presence: object = None           # segcore.dataset.presence.Presence on the served dataset
    told_open: str | None = None      # the item whose "open elsewhere too" the user was told
    seen_presence: tuple = ()         # who-has-what-open as the file list last showed it
    shown_conflict: object = None     # the conflict the page was last shown (None: none)

    def set_photo(self, jpeg: bytes) -> str:
        """Serve ``jpeg`` as this session's photo; returns its URL (new with each picture)."""
        self.counter += 1
        self.photo = jpeg
        self.photo_full = self.photo_full_jpeg = None
        self.photo_name = f"{self.counter}.jpg"
        return PHOTO_ROUTE.format(key=self.key, name=self.photo_name)

    @property
    def uploads(self) -> bool:
        return self.served.dataset is None

    def picture_path(self, suffix: str) -> Path:
        """A fresh file name for a picture (the browser caches by URL); the older ones go."""
        self.counter += 1
        path = self.folder / f"pic-{self.counter}{suffix}"
        self.recent.append(path)
        while len(self.recent) > 4:
            self.recent.pop(0).unlink(missing_ok=True)
        return path


def new_session(served: Served) -> AppSession:
    served.root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="session-", dir=served.root))
    if served.dataset is not None:
        ws = Workspace(served.dataset, served.lock)
    else:
        (folder / "dataset").mkdir()
        ws = Workspace(open_folder(folder / "dataset"))
    app = AppSession(served, ws, folder)
    from . import prompters, team   # (they import this module)

    team.join(app)            # who saves (the logged-in user), and where the session is
    prompters.install(app)    # clicks and boxes by the chosen prompter, items encoded ahead
    SESSIONS[app.key] = app
    if len(ws):
        first = ws.first_to_review()
        try:
            ws.open(first)
        except SegcoreError:
            try:
                ws.index = first - 1
                ws.step(1)         # a broken item is skipped (and said) rather than a dead page
            except SegcoreError as e:
                ws.skipped.append((first, ws.ds.names[first], str(e)))
                ws.index = None
    return app


def cleanup(app: AppSession | None) -> None:
    """Called by gr.State when a session ends: save the open item, remove the session's files.
    Uploads go with the session; a served dataset keeps every saved correction."""
    if not isinstance(app, AppSession):
        return
    for k in [k for k, v in app.served.pages.items() if v is app]:
        app.served.pages.pop(k, None)
    try:
        with app.lock:
            app.workspace.close()
            if app.presence is not None:
                app.presence.leave()
    finally:
        shutil.rmtree(app.folder, ignore_errors=True)


def page_closed(served: Served, request) -> None:
    """A browser page closed or reloaded (Gradio's ``unload``): its session leaves the
    dataset's presence at once (its state, and with it the open item's last save, goes when
    Gradio deletes it: :func:`cleanup`), so a reloaded page is not told "another session has
    this item open" about itself."""
    app = served.pages.pop(getattr(request, "session_hash", None), None)
    if isinstance(app, AppSession) and app.presence is not None:
        with app.lock:
            app.presence.leave()


def dataset_key(ds) -> str:
    """A short id of a dataset for the browser (tells datasets apart, names no path)."""
    return hashlib.sha256(str(ds.root).encode("utf-8")).hexdigest()[:12]


def _save_all() -> None:
    """At the server's end: every live session saves its open item."""
    for app in list(SESSIONS.values()):
        try:
            with app.lock:
                app.workspace.close()
        except Exception:  # noqa: BLE001 - one broken session must not keep the others' work
            LOG.exception("saving a session at exit")


folders.on_exit(_save_all)


def photo_response(key: str, name: str):
    """The picture route: the photo of the session whose key this is, or 404."""
    from fastapi import Response

    app = SESSIONS.get(key)
    cache = {"Cache-Control": "private, max-age=86400"}
    if app is not None and app.photo_full is not None and name == "full-" + app.photo_name:
        if app.photo_full_jpeg is None:      # the full resolution, made once, when first zoomed into
            import cv2

            ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(app.photo_full, cv2.COLOR_RGB2BGR),
                                    [cv2.IMWRITE_JPEG_QUALITY, 92])
            app.photo_full_jpeg = jpeg.tobytes() if ok else None
        if app.photo_full_jpeg is not None:
            return Response(app.photo_full_jpeg, media_type="image/jpeg", headers=cache)
    if app is None or app.photo is None or app.photo_name != name:
        return Response(status_code=404)
    return Response(app.photo, media_type="image/jpeg", headers=cache)


def serve_pictures(demo: gr.Blocks) -> gr.Blocks:
    """Give ``demo``'s server the picture route, whoever launches it (the CLI, a test)."""
    from fastapi.routing import APIRoute

    launch = demo.launch

    @functools.wraps(launch)
    def launch_with_pictures(*args, **kwargs):
        kw = dict(kwargs.get("app_kwargs") or {})
        kw["routes"] = [*kw.get("routes", []), APIRoute(PHOTO_ROUTE, photo_response, methods=["GET"])]
        kwargs["app_kwargs"] = kw
        return launch(*args, **kwargs)

    demo.launch = launch_with_pictures
    return demo


def _without_upload_dirs(message: str) -> str:
    """A browser user knows a file by its name, not by the server's temporary folders."""
    gradio_root = os.environ.get("GRADIO_TEMP_DIR") or os.path.join(tempfile.gettempdir(), "gradio")
    message = re.sub(re.escape(gradio_root.rstrip("/")) + r"/[^/ ]+/", "", message)
    message = re.sub(re.escape(str(ROOT)) + r"[^ ]*/", "", message)
    return message


class UserError(Exception):
    """A mistake of the browser user, said in the app's words."""


def user_message(e: Exception) -> str:
    """A user's mistake as the app says it: one line, no server folders, capitalised."""
    message = _without_upload_dirs(str(e))
    return message[:1].upper() + message[1:]


#: The request of the event being handled (set by :func:`user_errors`): who makes it (with
#: accounts, ``request.username``) and whether a script does (:func:`from_api`).
REQUEST: contextvars.ContextVar = contextvars.ContextVar("segcore_request", default=None)


def from_api(request) -> bool:
    """Whether an event came from a script (gradio_client marks its calls "x-gradio-user: api")."""
    headers = getattr(request, "headers", None)
    return headers is not None and headers.get("x-gradio-user") == "api"


def user_errors(n_outputs: int):
    """A user's mistake becomes a warning toast; every output keeps its last good value
    (no red "Error" badges). Through gradio_client it raises, carrying the one-line message
    (the client sees ``AppError``). One log line on the server, never a traceback.

    The handler gets one more parameter, ``segcore_request`` (a ``gr.Request``, which Gradio
    fills and keeps out of the API), to tell the two apart."""
    def deco(fn):
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        at = next((i for i, p in enumerate(params) if p.kind in (p.VAR_POSITIONAL, p.KEYWORD_ONLY, p.VAR_KEYWORD)),
                  len(params))
        extra = inspect.Parameter("segcore_request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None,
                                  annotation=gr.Request)
        full = sig.replace(parameters=[*params[:at], extra, *params[at:]])

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = full.bind_partial(*args, **kwargs)
            request = bound.arguments.pop("segcore_request", None)
            token = REQUEST.set(request)
            try:
                return fn(*bound.args, **bound.kwargs)
            except (SegcoreError, UserError) as e:
                message = user_message(e)
            finally:
                REQUEST.reset(token)
            LOG.info("user error in %s: %s", fn.__name__, message)
            if from_api(request):
                raise gr.Error(message, print_exception=False)
            gr.Warning(message)
            return gr.skip() if n_outputs == 1 else tuple(gr.skip() for _ in range(n_outputs))
        wrapper.__signature__ = full
        wrapper.__annotations__ = {**getattr(fn, "__annotations__", {}), "segcore_request": gr.Request}
        return wrapper
    return deco
