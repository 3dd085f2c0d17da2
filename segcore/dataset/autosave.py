"""The background writer of a :class:`~segcore.dataset.Workspace`: it saves the open item's
latest labels shortly after each edit, through :func:`.sync.save_item`, so another session's
save in between is merged, never overwritten.

It keeps what the open item's labels are relative to (``base``: the labels of its last save,
or as opened) and the digest of the item on disk after it, which is how it knows whether
anyone else wrote the item since. What the user must hear (another session's changes merged
in, a conflict, an error) waits here for the workspace's next action (:meth:`Saver.state`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import ConflictError
from .sync import save_item

__all__ = ["Saver", "Incoming", "SaverState"]


@dataclass
class Incoming:
    """A save that merged another session's changes in: ``mine`` (what was saved) and
    ``disk`` (what is on disk after it; class maps or Objects); ``by``: who made the other
    changes; ``pixels``: how many pixels (objects) of theirs came in."""

    mine: object
    disk: object
    by: str
    pixels: int


@dataclass
class SaverState:
    """What the workspace should act on: ``error`` (a failed save), ``conflict`` (a clash,
    until settled), ``incoming`` (changes to take into the session), ``idle`` (nothing
    waiting or being written)."""

    error: Exception | None
    conflict: ConflictError | None
    incoming: Incoming | None
    idle: bool


class Saver:
    """One background writer per workspace. ``start`` sets the open item; ``submit`` replaces
    what is waiting (the latest labels win; an edit is never waited on); ``flush`` waits for
    it. ``status_rule(status on disk, status asked)`` gives the status a save writes."""

    def __init__(self, ds, user: Callable[[], str], lock):
        self.ds = ds
        self._user = user
        self._lock = lock                  # the workspace's (several sessions, one dataset)
        self._cv = threading.Condition()
        self._pending: tuple | None = None
        self._busy = False
        self._writing: str | None = None        # the status asked of the save being written
        self._error: Exception | None = None
        self._thread: threading.Thread | None = None
        self.index: int | None = None
        self.base: np.ndarray | None = None     # what the open item's labels are relative to
        self.digest = ""                        # the item on disk after our last read or save
        self.conflict: ConflictError | None = None
        self.incoming: Incoming | None = None
        self._renumbered: dict = {}             # {session id: id on disk} of the open item's new objects
        self._to_session: dict = {}             # ... not yet taken by the session
        self.status_rule: Callable[[str, str], str] = lambda current, status: status

    # -- the open item ---------------------------------------------------------------------
    def start(self, index: int, base: np.ndarray, digest: str) -> None:
        """A new item is open (after :meth:`flush`): its labels as read and their digest."""
        with self._cv:
            self.index, self.base, self.digest = index, base, digest
            self.conflict = self.incoming = None
            self._renumbered, self._to_session = {}, {}

    def take_renumber(self) -> dict:
        """``{id: id on disk}`` of new objects a save wrote under another id, for the session
        to take (once)."""
        with self._cv:
            out, self._to_session = self._to_session, {}
            return out

    def _renumber(self, mapping: dict | None) -> None:
        if mapping:
            self._renumbered.update(mapping)
            self._to_session.update(mapping)

    def rebase(self, base: np.ndarray, digest: str | None = None) -> None:
        """The session took in what is on disk: its labels are relative to ``base`` now."""
        with self._cv:
            self.base = base
            if digest is not None:
                self.digest = digest
            self.incoming = None

    def status_on_the_way(self) -> str | None:
        """The status asked of the open item's save waiting or being written (None: none)."""
        with self._cv:
            if self._pending is not None and self._pending[0] == self.index:
                return self._pending[2]
            return self._writing

    def state(self) -> SaverState:
        with self._cv:
            err, self._error = self._error, None
            return SaverState(err, self.conflict, self.incoming, self._pending is None and not self._busy)

    # -- saving ----------------------------------------------------------------------------
    def submit(self, labels: np.ndarray, status: str, tool: str) -> None:
        with self._cv:
            if self._pending is not None:     # the tools of a save not yet written join this one
                tool = ", ".join(dict.fromkeys(t for t in f"{self._pending[3]}, {tool}".split(", ") if t))
            self._pending = (self.index, labels, status, tool)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, daemon=True, name="segcore-autosave")
                self._thread.start()
            self._cv.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cv:
                if self._pending is None or self.conflict is not None:
                    return
                job, self._pending, self._busy = self._pending, None, True
                self._writing = job[2] if job[0] == self.index else None
                base = self.base
            index, labels, status, tool = job
            try:
                if not isinstance(labels, np.ndarray):      # objects: ids the session has not taken yet
                    labels = labels.renumbered(self._renumbered)
                with self._lock:
                    saved = save_item(self.ds, index, base, labels, user=self._user(), tool=tool,
                                      status=lambda current: self.status_rule(current, status))
                with self._cv:
                    if index == self.index:
                        if saved.renumber:
                            self._renumber(saved.renumber)
                            labels = labels.renumbered(saved.renumber)
                        self.base, self.digest = labels, saved.digest
                        if saved.theirs:
                            self.incoming = Incoming(labels, saved.labels, saved.by, saved.theirs)
            except ConflictError as e:
                with self._cv:
                    self.conflict = e
                    self._pending = None       # held: the user settles it, then it is saved
            except Exception as e:  # kept for flush(), which reports it to the user
                with self._cv:
                    self._error = e
            finally:
                with self._cv:
                    self._busy, self._writing = False, None
                    self._cv.notify_all()

    def flush(self) -> None:
        """Wait until everything submitted is written; raise the writer's error, or the
        conflict that stopped it."""
        with self._cv:
            while (self._pending is not None and self.conflict is None) or self._busy:
                self._cv.wait()
            err, self._error = self._error, None
            conflict = self.conflict
        if err is not None:
            raise err
        if conflict is not None:
            raise conflict

    def settled(self, base, digest: str) -> None:
        """The conflict was settled by a save of ``base`` (now on disk, with ``digest``)."""
        with self._cv:
            self.conflict, self._pending, self.incoming = None, None, None
            self.base, self.digest = base, digest

    def hold(self, conflict: ConflictError) -> None:
        """A conflict found outside a save (an edit not yet saved, over others' changes)."""
        with self._cv:
            self.conflict, self._pending = conflict, None
