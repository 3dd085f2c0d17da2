"""Which model answers a session's clicks and boxes now, and the models loaded for them.

The session's menu choice (``AppSession.prompter_choice``, :mod:`.prompters`) is worked out by the
one resolver (``segcore.models.resolve``) at every click, for the class clicked. A model whose
weights are missing is downloaded in the background where the network allows (the session's
first click starts it): GrabCut answers meanwhile, and the first click after the download is
answered by the model. A choice that cannot be had falls back to the best prompter here, and
the session is told once.

A model with an image encoder (SAM, SAM 2.1) is loaded once per process (and per weights file)
and shared by every session; its image embeddings are made ahead by one
:class:`~segcore.models.prompters.prefetch.Prefetcher` per loaded model, keyed by the item
(dataset, name and a fingerprint of its pixels): opening an item queues its encoding, and the
next item's.
"""

from __future__ import annotations

import logging
import threading
import zlib

import gradio as gr
import numpy as np

from segcore.errors import ModelError, SegcoreError, WeightsError
from segcore.models import fetch
from segcore.models.prompters import Prompter
from segcore.models.prompters.chosen import ChosenPrompter
from segcore.models.prompters.prefetch import PrefetchedPrompter, Prefetcher
from segcore.models.registry import PROMPT, get
from segcore.models.resolve import Choice, load, resolve

from . import folders
from .weights import given

LOG = logging.getLogger("segcore.app")

DEFAULT = "auto"
PREFETCH_SIZE = 8            # embeddings kept per loaded model, all sessions together (4 MB each)

_loaded: dict = {}            # (name, weights file) -> Prefetcher over the shared prompter
_load_lock = threading.Lock()


def _named(name: str):
    from .prompters import named_weights

    return named_weights().get(name)


def _prefetcher(choice: Choice) -> Prefetcher:
    """The shared prompter of ``choice`` (loaded once per weights file) inside its prefetcher."""
    key = (choice.name, None if choice.weights is None or choice.weights.tag == "published" else str(choice.path))
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = Prefetcher(load(choice), size=PREFETCH_SIZE)
        return _loaded[key]


def _close_all() -> None:
    """At the server's end: let each prefetcher finish the encode it runs (an ONNX run cut off
    by the interpreter's exit aborts the process) and drop the queued ones."""
    with _load_lock:
        prefetchers = list(_loaded.values())
    for pf in prefetchers:
        pf.close()


folders.on_exit(_close_all)


def _encodes(spec) -> bool:
    """Whether the entry's prompters compute something per image worth doing ahead (SAM's encoder)."""
    return spec.family in ("sam", "sam2")


def _info(app) -> dict:
    """What this session worked out for its menu choice: ``{"failed": {name: note}, "download": ...}``."""
    choice = app.prompter_choice
    got = app.prompter_state
    if got is None or got[0] != choice:
        got = app.prompter_state = (choice, {"failed": {}, "download": None})
    return got[1]


def _fallback(class_name: str | None) -> Choice:
    """The best prompter here now, without downloading (GrabCut, or selfie for people)."""
    return resolve("auto", PROMPT, class_name=class_name, offline=True)


def _tell(app, note: str, warn: bool, what: str = "fallback") -> None:
    """Say ``note`` once per session, menu choice and ``what`` (a fallback, a download)."""
    key = f"{app.prompter_choice}:{what}"
    if key in app.prompter_told:
        return
    app.prompter_told.add(key)
    LOG.info("prompter %s: %s", app.prompter_choice, note)
    (gr.Warning if warn else gr.Info)(note)


def answer(app, class_name: str | None = None, tell: bool = True, start: bool = True) -> tuple[Choice, str | None]:
    """``(the Choice that answers now, a note or None)`` for the session's menu choice and a
    class: a download is started where needed (GrabCut meanwhile; ``start=False``: not by this
    call, as opening an item or drawing the status line); a choice that cannot be had falls back
    to the best prompter here, and the session is told once."""
    choice = app.prompter_choice
    info = _info(app)
    title = "auto" if choice == DEFAULT else get(choice).title
    if choice in info["failed"]:
        return _fallback(class_name), info["failed"][choice]
    try:
        c = resolve(choice, PROMPT, class_name=class_name, weights=given(app).get(choice) or _named(choice))
    except (WeightsError, ModelError) as e:
        fb = _fallback(class_name)
        note = (f"Clicks and boxes use {fb.spec.title} instead of {title}: {e}. Then choose it again in "
                "'Clicks and boxes with'.")
        info["failed"][choice] = note
        if tell:
            _tell(app, note, warn=choice != DEFAULT)
        return fb, note
    if c.fetch:
        d = fetch.start(c.name, c.weights) if start else fetch.downloading(c.weights)
        if d is None:
            return _fallback(class_name), None
        info["download"] = d
        if d.done.is_set() and d.error is None:
            return answer(app, class_name, tell, start)   # here now
        fb = get(c.meanwhile) if c.meanwhile else _fallback(class_name).spec
        fb_choice = resolve(fb.name, PROMPT, offline=True)
        if d.done.is_set():
            note = (f"Clicks and boxes use {fb.title} instead of {c.spec.title}: {d.error}. Then choose it again "
                    "in 'Clicks and boxes with'.")
            info["failed"][choice] = note
            if tell:
                _tell(app, note, warn=True)
            return fb_choice, note
        note = f"Downloading the {c.spec.title} weights ({c.weights.file_name}); {fb.title} answers meanwhile."
        if tell:
            _tell(app, note, warn=False, what="download")
        return fb_choice, note
    if c.note and tell and choice == DEFAULT:
        _tell(app, f"Clicks and boxes use {c.spec.title}: {c.note}", warn=False)
    return c, c.note


def _prompter(app, c: Choice) -> Prompter:
    """A prompter of Choice ``c`` for the current item: a shared model over the item's prefetched
    embedding, or a fresh weight-free one."""
    if not _encodes(c.spec):
        return load(c)
    pf = _prefetcher(c)
    ws = app.workspace
    key = item_key(ws.ds, ws.name, ws.session.rgb)
    return PrefetchedPrompter(pf, key, on_wait=lambda: gr.Info("Encoding the image for clicks…"))


def _current(app, class_name: str) -> Prompter:
    c, _ = answer(app, class_name)
    try:
        return _prompter(app, c)
    except (WeightsError, ModelError) as e:
        note = f"Clicks and boxes use GrabCut: {c.spec.title} could not be loaded ({e})."
    except Exception as e:  # noqa: BLE001 - an export that fails must not take the page down
        LOG.exception("loading the prompter %s", c.name)
        note = f"Clicks and boxes use GrabCut: {c.spec.title} could not be loaded ({e.__class__.__name__}: {e})."
    _info(app)["failed"][app.prompter_choice] = note
    _tell(app, note, warn=True)
    return load(_fallback(class_name))


def item_key(ds, name: str, rgb: np.ndarray) -> tuple:
    """What names an item's embedding: its dataset, its name and a fingerprint of its pixels
    (an item replaced under the same name is encoded again, never decoded on the old one)."""
    sample = np.ascontiguousarray(rgb[::8, ::8])
    return (str(ds.root), name, rgb.shape, zlib.crc32(sample.tobytes()))


def factory(app):
    """The session's ``class name -> Prompter`` (see ``EditSession``): one that asks at every click
    which model answers now (the download may have finished since the last)."""
    return lambda class_name: ChosenPrompter(lambda: _current(app, class_name))


def _read_and_prefetch(pf: Prefetcher, ds, j: int) -> None:
    try:
        rgb = ds.read_image(j)
        pf.prefetch(item_key(ds, ds.names[j], rgb), rgb)
    except (SegcoreError, OSError, RuntimeError, ValueError) as e:   # that item says so when opened
        LOG.info("prefetching item %d: %s", j, e)


def _open_prefetcher(app) -> Prefetcher | None:
    """The session's shared model with an encoder, where its choice has one here now."""
    c, _ = answer(app, None, tell=False, start=False)
    if not _encodes(c.spec):
        return None
    return _prefetcher(c)


def opened(app, i: int, rgb: np.ndarray) -> None:
    """``Workspace.on_open``: encode the item now opened, then the next one in walking order. (A
    fallback is told at the session's first click or box, where it matters, not here.)"""
    try:
        pf = _open_prefetcher(app)
        if pf is None:
            return
        ds = app.workspace.ds
        pf.prefetch(item_key(ds, ds.names[i], rgb), rgb)
    except Exception:  # noqa: BLE001 - the item opens anyway; its first click encodes it
        LOG.exception("encoding item %d ahead", i)
        return
    if len(ds) > 1:
        threading.Thread(target=_read_and_prefetch, args=(pf, ds, (i + 1) % len(ds)), daemon=True,
                         name="segcore-prefetch-read").start()


def install(app) -> None:
    """Give a new session's workspace its prompters and the encoding ahead."""
    app.workspace.prompter = factory(app)
    app.workspace.on_open = lambda i, rgb: opened(app, i, rgb)


def _downloading(app):
    got = app.prompter_state
    d = got[1].get("download") if got is not None else None
    return d if d is not None and not d.done.is_set() else None


def encoding(app) -> bool:
    """Whether the current item's embedding is still being made (a click now would wait)."""
    ws = app.workspace
    if ws.session is None or app.prompter_state is None or not _loaded:     # (no model loaded: none encodes)
        return False
    try:
        c, _ = answer(app, None, tell=False, start=False)
    except Exception:  # noqa: BLE001 - the status line must never fail over this
        return False
    if not _encodes(c.spec):
        return False
    with _load_lock:
        pf = next((p for (n, _), p in _loaded.items() if n == c.name), None)
    return pf is not None and pf.state(item_key(ws.ds, ws.name, ws.session.rgb)) in ("queued", "running")


def busy(app) -> bool:
    """Whether the status line shows something that changes by itself (an encoding, a download)."""
    return _downloading(app) is not None or encoding(app)
