"""Loaded models kept for reuse, safe to share between threads (the app serves several).

One load per key even when threads ask at once (a lock per key), and at most ``MAX_MODELS``
kept: the least recently used is dropped, so a long-running app does not grow without bound.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from .registry import SEGMENT
from .resolve import load

__all__ = ["cached_model", "clear", "MAX_MODELS"]

MAX_MODELS = 4
_models: OrderedDict = OrderedDict()
_locks: dict = {}
_guard = threading.Lock()


def _key(name, task, weights, device):
    w = None
    if weights is not None:
        try:
            st = os.stat(weights)
            w = (os.path.abspath(weights), st.st_mtime_ns, st.st_size)   # a replaced file is reloaded
        except OSError:
            w = (str(weights), None, None)   # load_model says what is wrong with it
    return (name, task, w, device)


def cached_model(name: str, *, weights=None, offline: bool | None = None, device: str = "cpu",
                 task: str = SEGMENT, dataset=None, progress=None):
    """``load(name, task, ...)`` (a segmenter or a concept model: their ``predict`` keeps no
    state), loaded once and kept (the newest ``MAX_MODELS``). ``name`` is an entry or a
    dataset's ``trained:<stem>`` (``dataset`` given)."""
    if str(name).startswith("trained:") and dataset is not None:
        from .trained import resolve_trained

        weights = resolve_trained(dataset, name).path   # keyed by its file: a retrained one is reloaded
    key = _key(name, task, weights, device)
    with _guard:
        if key in _models:
            _models.move_to_end(key)
            return _models[key]
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        with _guard:
            if key in _models:
                return _models[key]
        if str(name).startswith("trained:"):
            model = load(name, task, dataset=dataset, offline=offline, device=device, progress=progress)
        else:
            model = load(name, task, weights=weights, offline=offline, device=device, progress=progress)
        with _guard:
            _models[key] = model
            while len(_models) > MAX_MODELS:
                old, _ = _models.popitem(last=False)
                _locks.pop(old, None)
        return model


def clear() -> None:
    with _guard:
        _models.clear()
        _locks.clear()
