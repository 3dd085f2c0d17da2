"""Image embeddings computed before the user clicks, kept for a few items.

``Prefetcher(prompter)`` runs ``prompter.encode(rgb)`` in one background thread: opening an item
calls ``prefetch(key, rgb)`` for it and for the next one; ``set_image(key, rgb)`` then gives the
prompter the kept embedding, waiting for an encode still running (or encoding on the spot an
item never prefetched). A waited-for item jumps the queue. The newest ``size`` embeddings are
kept (least recently used dropped; a queued encode of a dropped item never runs).

Encodes run one at a time: on a 2-core machine two at once would each take twice as long.
Prompters with nothing to compute ahead (``encode`` returns None, as GrabCut's) work the same,
and cost nothing here.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Hashable

import numpy as np

from .base import Prompter

__all__ = ["Prefetcher", "PrefetchedPrompter"]

_QUEUED, _RUNNING, _DONE = "queued", "running", "done"


class _Entry:
    __slots__ = ("rgb", "shape", "state", "embedding", "error", "done", "seconds", "waiters")

    def __init__(self, rgb: np.ndarray):
        self.rgb = rgb                       # held only until encoded
        self.shape = rgb.shape
        self.state = _QUEUED
        self.embedding = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.seconds: float | None = None    # encode time, for the status line / benchmarks
        self.waiters = 0                     # callers in get(): never dropped while they wait


class Prefetcher:
    """Embeddings of up to ``size`` items for one prompter, encoded in a background thread.

    ``key``: any hashable naming an item (its dataset name). Thread-safe.
    """

    def __init__(self, prompter: Prompter, size: int = 4):
        if size < 1:
            raise ValueError("size must be at least 1")
        self.prompter = prompter
        self.size = int(size)
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._queue: list[Hashable] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- asking ahead --------------------------------------------------------------------
    def prefetch(self, key: Hashable, rgb: np.ndarray) -> None:
        """Start encoding ``rgb`` (RGB uint8 ``(H, W, 3)``) in the background unless it is kept
        or queued already. Returns at once."""
        with self._cond:
            self._admit(key, rgb)

    def ready(self, key: Hashable) -> bool:
        """Whether ``key``'s embedding is here (a click on it will not wait)."""
        with self._cond:
            e = self._entries.get(key)
            return e is not None and e.state == _DONE

    def state(self, key: Hashable) -> str | None:
        """``"queued"``, ``"running"``, ``"done"``, or None for an item not asked for."""
        with self._cond:
            e = self._entries.get(key)
            return None if e is None else e.state

    # -- using ------------------------------------------------------------------------------
    def get(self, key: Hashable, rgb: np.ndarray | None = None, timeout: float | None = None):
        """``key``'s embedding, waiting for its encode (moved to the front of the queue). An item
        not asked for is encoded now when ``rgb`` is given, else KeyError. ``rgb`` of another
        shape than the kept one's (the item's image changed) is encoded again. An encode that
        failed raises its error here; TimeoutError after ``timeout`` seconds."""
        with self._cond:
            e = self._entries.get(key)
            if e is None or (rgb is not None and e.shape != np.shape(rgb)):
                if rgb is None:
                    raise KeyError(key)
                self._entries.pop(key, None)
                e = self._admit(key, rgb)
            self._entries.move_to_end(key)
            if e.state == _QUEUED and key in self._queue:
                self._queue.remove(key)
                self._queue.insert(0, key)
                self._cond.notify_all()
            e.waiters += 1
        try:
            if not e.done.wait(timeout):
                raise TimeoutError(f"the encoding of {key!r} took over {timeout} s")
        finally:
            with self._cond:
                e.waiters -= 1
        if e.error is not None:
            with self._cond:   # a failed encode is not kept: the next get tries again
                if self._entries.get(key) is e:
                    del self._entries[key]
            raise e.error
        return e.embedding

    def set_image(self, key: Hashable, rgb: np.ndarray, on_wait: Callable[[], None] | None = None) -> bool:
        """``prompter.set_image(rgb)`` from the kept embedding of ``key``. ``on_wait`` is called once
        before waiting for an encode not yet done (to say so in the status line). Returns whether
        it had to wait."""
        waited = not self.ready(key)
        if waited and on_wait is not None:
            on_wait()
        self.prompter.set_embedding(rgb, self.get(key, rgb))
        return waited

    def seconds(self, key: Hashable) -> float | None:
        """How long ``key``'s encode took, once done."""
        with self._cond:
            e = self._entries.get(key)
            return None if e is None else e.seconds

    def discard(self, key: Hashable) -> None:
        with self._cond:
            self._entries.pop(key, None)
            if key in self._queue:
                self._queue.remove(key)

    def clear(self) -> None:
        with self._cond:
            self._entries.clear()
            self._queue.clear()

    def close(self) -> None:
        """Stop the background thread after the encode now running (queued ones are dropped)."""
        with self._cond:
            self._closed = True
            for key in self._queue:
                self._fail(self._entries[key], RuntimeError("the prefetcher was closed before this encode"))
            self._queue.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()

    # -- inside -------------------------------------------------------------------------------
    def _admit(self, key, rgb) -> _Entry:
        """Keep (or reuse) ``key``'s entry and queue its encode; called under the lock."""
        e = self._entries.get(key)
        if e is not None and e.shape == np.shape(rgb):
            self._entries.move_to_end(key)
            return e
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"prefetch takes an RGB uint8 (H, W, 3) image, got {rgb.shape} {rgb.dtype}")
        if self._closed:
            raise RuntimeError("this prefetcher is closed")
        e = _Entry(rgb)
        self._entries[key] = e
        self._entries.move_to_end(key)
        if key in self._queue:
            self._queue.remove(key)
        self._queue.append(key)
        for old in [k for k, v in self._entries.items() if v.waiters == 0][:max(0, len(self._entries) - self.size)]:
            del self._entries[old]
            if old in self._queue:
                self._queue.remove(old)
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="segcore-prefetch", daemon=True)
            self._thread.start()
        self._cond.notify_all()
        return e

    @staticmethod
    def _fail(e: _Entry, error: BaseException) -> None:
        e.error, e.state, e.rgb = error, _DONE, None
        e.done.set()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                key = self._queue.pop(0)
                e = self._entries[key]
                e.state = _RUNNING
                rgb, e.rgb = e.rgb, None
            t = time.perf_counter()
            try:
                embedding, error = self.prompter.encode(rgb), None
            except BaseException as exc:  # handed to whoever waits for this item
                embedding, error = None, exc
            with self._cond:
                e.embedding, e.error, e.state = embedding, error, _DONE
                e.seconds = time.perf_counter() - t
            e.done.set()


class PrefetchedPrompter(Prompter):
    """One item's prompter over a Prefetcher's shared one: ``set_image`` takes the embedding the
    prefetcher keeps for ``key`` (waiting for its encode, ``on_wait()`` called first), and each
    predict hands it to the shared prompter under that prompter's lock, so the sessions sharing
    one loaded model never decode on each other's image. ``waited``: whether the last
    ``set_image`` had to wait."""

    def __init__(self, prefetcher: Prefetcher, key: Hashable, on_wait: Callable[[], None] | None = None):
        super().__init__()
        self.prefetcher, self.key, self.on_wait = prefetcher, key, on_wait
        self.name = prefetcher.prompter.name
        self.waited = False
        self._embedding = None

    def encode(self, rgb: np.ndarray):
        return self.prefetcher.prompter.encode(rgb)

    def _set_image(self, rgb: np.ndarray) -> None:
        self.waited = not self.prefetcher.ready(self.key)
        if self.waited and self.on_wait is not None:
            self.on_wait()
        self._embedding = self.prefetcher.get(self.key, rgb)

    def _set_embedding(self, rgb: np.ndarray, embedding) -> None:
        self._embedding = embedding

    def reset_image(self) -> None:
        with self._lock:
            super().reset_image()
            self._embedding = None

    def _predict(self, points, box, mask_input, multimask: bool, prior):
        shared = self.prefetcher.prompter
        with shared._lock:
            shared.set_embedding(self._rgb, self._embedding)
            return shared.predict(points, box, mask_input, multimask, prior)
