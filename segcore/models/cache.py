"""Loaded models kept for reuse, safe to share between threads (the app serves several).

One load per key even when threads ask at once (a lock per key), and at most ``MAX_MODELS``
kept: the least recently used is dropped, so a long-running app does not grow without bound.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from .registry import load_model

__all__ = ["cached_model", "clear", "MAX_MODELS"]

MAX_MODELS = 4
_models: OrderedDict = OrderedDict()
_locks: dict = {}
_guard = threading.Lock()


def _key(name, weights, device):
    w = None
    if weights is not None:
        try:
            st = os.stat(weights)
            w = (os.path.abspath(weights), st.st_mtime_ns, st.st_size)   # a replaced file is reloaded
        except OSError:
            w = (str(weights), None, None)   # load_model says what is wrong with it
    return (name, w, device)


def cached_model(name: str, *, weights=None, offline: bool | None = None, device: str = "cpu"):
    """``load_model(name, ...)``, loaded once and kept (the newest ``MAX_MODELS``)."""
    key = _key(name, weights, device)
    with _guard:
        if key in _models:
            _models.move_to_end(key)
            return _models[key]
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        with _guard:
            if key in _models:
                return _models[key]
        model = load_model(name, weights=weights, offline=offline, device=device)
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
