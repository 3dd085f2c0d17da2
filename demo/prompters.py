"""The prompter menu ("Clicks and boxes with"): which model answers a session's clicks and boxes.

The choice is per session (``AppSession.prompter_choice``). A SAM-family model is loaded once
per process (and per weights file) and shared by every session; its image embeddings are made
ahead by one :class:`~segcore.models.prompters.prefetch.Prefetcher` per loaded model, keyed by
the item (dataset, name and a fingerprint of its pixels): opening an item queues its encoding,
and the next item's. A click goes through a ``PrefetchedPrompter``, which waits for the item's
encoding where it is still running (and says so). Without weights the weight-free prompters are
used (GrabCut; the selfie model for a class named "person") and the session is told once.

Weights: the cache folder (``segcore.models.weights.checkpoint_dir()``) under the official file
names, or files named in ``SEGCORE_SAM_WEIGHTS`` (``NAME=FILE`` or an official file name,
separated by ``os.pathsep``; the user's own files, not checked against the published ones).
"""

from __future__ import annotations

import logging
import threading
import zlib
from pathlib import Path

import gradio as gr
import numpy as np

from segcore.cli.models import prompter_cards
from segcore.errors import ModelError, SegcoreError, WeightsError
from segcore.models.prompters.prefetch import PrefetchedPrompter, Prefetcher
from segcore.models.prompters.sam import CHECKPOINTS, load_sam, weights_from_env
from segcore.models.weights import checkpoint_dir

from . import folders
from .session import UserError, default_prompter as weight_free

LOG = logging.getLogger("segcore.app")

CHOICES = ("auto", "grabcut", "mobile_sam", "sam_vit_b", "sam_vit_l", "sam_vit_h")
DEFAULT = "auto"
TITLES = {"grabcut": "GrabCut", "mobile_sam": "MobileSAM", "sam_vit_b": "SAM ViT-B", "sam_vit_l": "SAM ViT-L",
          "sam_vit_h": "SAM ViT-H"}
ENCODING = "encoding the image for clicks…"
PREFETCH_SIZE = 8            # embeddings kept per loaded model, all sessions together (4 MB each)

_loaded: dict = {}            # (name, named file or None) -> Prefetcher over the shared prompter
_load_lock = threading.Lock()


def named_weights() -> dict[str, Path]:
    """``{prompter: file}`` from ``SEGCORE_SAM_WEIGHTS``; a part that names nothing is left out
    (logged), so a typo never stops the app."""
    found, bad = weights_from_env()
    for part in bad:
        LOG.warning("SEGCORE_SAM_WEIGHTS: %r is not NAME=FILE of an existing file", part)
    return found


def _state(card: dict, named: dict) -> str:
    if card["name"] in named:
        return "weights named"
    return {"ready": "no weights needed", "present": "weights here", "MISSING": "weights missing",
            "no-pkg": "needs pip install " + " ".join(card["packages_missing"])}.get(card["state"], card["state"])


def choices() -> list[tuple[str, str]]:
    """The menu, ``(label, value)``, each label with the prompter's state on this machine."""
    cards = {c["name"]: c for c in prompter_cards()}
    named = named_weights()
    here = "mobile_sam" in named or cards["mobile_sam"]["state"] == "present"
    out = [(f"auto: {'MobileSAM' if here else 'GrabCut (no MobileSAM weights here)'}", "auto")]
    for name in CHOICES[1:]:
        out.append((f"{TITLES[name]} · {_state(cards[name], named)}", name))
    return out


def card() -> str:
    """A Markdown line per prompter with its state (as ``segcore models`` lists them)."""
    named = named_weights()
    rows = [f"- `{c['name']}`: {_state(c, named)}" + (f" (`{c['weights_file']}`)" if c["weights_file"] else "")
            for c in prompter_cards()]
    return "\n".join(["**Clicks and boxes** (the menu above the canvas):", *rows,
                      f"- weights folder: `{checkpoint_dir()}` (or name files in `SEGCORE_SAM_WEIGHTS`)"])


# -- one loaded model per process -----------------------------------------------------------------
def _prefetcher(name: str, weights: Path | None) -> Prefetcher:
    """The shared prompter ``name`` (loaded once per weights file) inside its prefetcher.
    Offline unless the user chose the model by name: "auto" never downloads."""
    key = (name, None if weights is None else str(weights))
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = Prefetcher(load_sam(name, weights=weights), size=PREFETCH_SIZE)
        return _loaded[key]


def _close_all() -> None:
    """At the server's end: let each prefetcher finish the encode it runs (an ONNX run cut off
    by the interpreter's exit aborts the process) and drop the queued ones."""
    with _load_lock:
        prefetchers = list(_loaded.values())
    for pf in prefetchers:
        pf.close()


folders.on_exit(_close_all)


def resolve(app, tell: bool = True):
    """``(prefetcher or None, note or None)`` for the session's choice, worked out once per choice
    (a failed load is not retried until the menu is set again). ``None``: the weight-free
    prompters. ``tell``: say the note, once per session and choice."""
    choice = app.prompter_choice
    got = app.prompter_state
    if got is None or got[0] != choice:
        name = "mobile_sam" if choice == "auto" else choice
        pf, note = None, None
        if name in CHECKPOINTS:
            weights = named_weights().get(name)
            try:
                if choice == "auto" and weights is None:
                    pf = _prefetcher(name, None) if _cached(name) else None
                    if pf is None:
                        load_sam(name, offline=True)     # raises the message naming the file and the folder
                else:
                    pf = _prefetcher(name, weights)
            except (WeightsError, ModelError) as e:
                pf, note = None, (f"Clicks and boxes use the weight-free GrabCut instead of {TITLES[name]}: "
                                  f"{e}. Then choose it again in 'Clicks and boxes with'.")
            except Exception as e:  # noqa: BLE001 - an export that fails must not take the page down
                LOG.exception("loading the prompter %s", name)
                pf, note = None, (f"Clicks and boxes use the weight-free GrabCut: {TITLES[name]} could not be "
                                  f"loaded ({e.__class__.__name__}: {e}).")
        got = app.prompter_state = (choice, pf, note)
    _, pf, note = got
    if note and tell and choice not in app.prompter_told:
        app.prompter_told.add(choice)
        LOG.info("prompter %s: %s", choice, note)
        (gr.Info if choice == "auto" else gr.Warning)(note)
    return pf, note


def _cached(name: str) -> bool:
    return (checkpoint_dir() / CHECKPOINTS[name].file_name).is_file()


def item_key(ds, name: str, rgb: np.ndarray) -> tuple:
    """What names an item's embedding: its dataset, its name and a fingerprint of its pixels
    (an item replaced under the same name is encoded again, never decoded on the old one)."""
    sample = np.ascontiguousarray(rgb[::8, ::8])
    return (str(ds.root), name, rgb.shape, zlib.crc32(sample.tobytes()))


def factory(app):
    """The session's ``class name -> Prompter | None`` (see ``EditSession``): the chosen SAM
    model over the item's prefetched embedding, else the weight-free prompters."""
    def prompter(class_name: str):
        pf, _ = resolve(app)
        if pf is None:
            return weight_free(class_name)
        ws = app.workspace
        key = item_key(ws.ds, ws.name, ws.session.rgb)
        return PrefetchedPrompter(pf, key, on_wait=lambda: gr.Info("Encoding the image for clicks…"))
    return prompter


def _read_and_prefetch(pf: Prefetcher, ds, j: int) -> None:
    try:
        rgb = ds.read_image(j)
        pf.prefetch(item_key(ds, ds.names[j], rgb), rgb)
    except (SegcoreError, OSError, RuntimeError, ValueError) as e:   # that item says so when opened
        LOG.info("prefetching item %d: %s", j, e)


def opened(app, i: int, rgb: np.ndarray) -> None:
    """``Workspace.on_open``: encode the item now opened, then the next one in walking order. (A
    fallback is told at the session's first click or box, where it matters, not here.)"""
    try:
        pf, _ = resolve(app, tell=False)
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


def encoding(app) -> bool:
    """Whether the current item's embedding is still being made (a click now would wait)."""
    ws = app.workspace
    got = app.prompter_state
    if ws.session is None or got is None or got[1] is None:
        return False
    return got[1].state(item_key(ws.ds, ws.name, ws.session.rgb)) in ("queued", "running")


def status_note(app) -> str:
    """`` · encoding the image for clicks…`` for the status line while it is so, else ``""``."""
    try:
        return f" · {ENCODING}" if encoding(app) else ""
    except Exception:   # noqa: BLE001 - the status line must never fail over this
        return ""


def recall(remembered):
    """The prompter menu at page load: the choice this browser made last, where it still is one."""
    name = str(remembered or "")
    return gr.update(value=name) if name in CHOICES and name != DEFAULT else gr.skip()


def set_prompter(app, prompter, value=None):
    """The choice of this session's clicks and boxes: auto, grabcut, mobile_sam, sam_vit_b / l / h."""
    text = str(prompter or "").strip().lower()
    if text not in CHOICES:
        raise UserError(f"prompter is one of {', '.join(CHOICES)}; got {prompter!r}")
    app.prompter_choice, app.prompter_state = text, None   # worked out again: the file may be here now
    app.prompter_told.discard(text)       # an explicit choice is always answered
    pf, note = resolve(app)
    app.workspace.set_prompter(factory(app))
    ws = app.workspace
    if pf is not None and ws.session is not None:
        opened(app, ws.index, ws.session.rgb)
    if note is None:
        gr.Info(f"Clicks and boxes with {TITLES[pf.prompter.name] if pf is not None else 'GrabCut'}.")


def watch(state):
    """``status.change``: while the current item is being encoded, a timer refreshes the status
    line, so "encoding the image for clicks…" goes when the encoding is done."""
    from .session import AppSession

    return gr.Timer(active=isinstance(state, AppSession) and encoding(state))


def tick(state):
    from . import views
    from .session import AppSession

    if not isinstance(state, AppSession):
        return gr.skip(), gr.Timer(active=False)
    return views.status_md(state), gr.Timer(active=encoding(state))
