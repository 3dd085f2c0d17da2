"""The part of a :class:`~segcore.dataset.Workspace` that deals with others working on the
same item: their saves come into the open session (:meth:`SharedItem.sync`), a clash is settled
(:meth:`SharedItem.resolve`), and any kept version comes back (:meth:`SharedItem.restore`).

Another session's changes go under the whole undo history of this one (the current step, every
past and future step, a run of clicks' base): undo never takes them back. What the user should
hear is appended to ``notes``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConflictError, FormatError
from .sync import changed_since, conflict, read_item, save_item, who_made

__all__ = ["SharedItem"]


class SharedItem:
    """Mixed into :class:`~segcore.dataset.Workspace` (which holds ``ds``, ``session``,
    ``index``, ``lock``, ``user`` and the background writer ``_saver``)."""

    @property
    def conflict(self) -> ConflictError | None:
        """The open conflict of the current item (settle with :meth:`resolve`), or None."""
        return self._saver.conflict

    def sync(self) -> None:
        """Take in what happened to the current item since the last action: a failed save
        raises; a new conflict raises (once: it stays open in :attr:`conflict`); others'
        saves and other programs' writes come in (a line in :attr:`notes`). Cheap when
        nothing changed (one ``stat`` of the item's files)."""
        if self.session is None:
            return
        st = self._saver.state()
        if st.error is not None:
            raise st.error
        if st.conflict is not None:
            if st.conflict is not self._told:
                self._told = st.conflict
                raise st.conflict
            return
        if not st.idle:
            return
        if st.incoming is not None:
            inc = st.incoming
            self._adopt(inc.mine, inc.disk, inc.by, None)
            return
        with self.lock:
            moved, self._stamp = changed_since(self.ds, self.index, self._saver.digest, self._stamp)
            if not moved:
                return
            disk, digest = read_item(self.ds, self.index)
            by = who_made(self.ds, self.index, digest)
        if disk is None:
            return                          # its labels were removed: the next save writes ours
        self._adopt(self._saver.base, disk, by, digest or "")

    def _adopt(self, mine: np.ndarray, disk: np.ndarray, by: str, digest: str | None) -> None:
        """Take ``disk`` (others' changes on top of ``mine``, what this session's labels are
        relative to) into the session, under every undo step."""
        s = self.session
        if disk.shape != s.shape:
            raise FormatError(f"{self.name}: its labels on disk are now {disk.shape[1]}x{disk.shape[0]}; "
                              "reopen the item")
        others = disk != mine
        n = int(np.count_nonzero(others))
        if n:
            current = s.labels
            clash = others & (current != mine) & (current != disk)
            if clash.any():                 # an edit not yet saved, over pixels another changed
                with self.lock:
                    e = conflict(self.ds, self.index, clash, current, disk, disk,
                                 digest if digest is not None else self._saver.digest, user=self.user,
                                 tool="unsaved edit", by=by)
                self._saver.conflict = self._told = e
                raise e
            clean = not self.dirty
            s.rebase(others, disk)
            if clean:
                self._saved_version = s.version
            self.notes.append(f"{by or 'another session'} changed {self.name}: {n:,} pixels came in")
        self._saver.rebase(disk, digest)

    def resolve(self, prefer: str) -> None:
        """Settle the open conflict: ``"mine"`` keeps this session's version of the clashing
        pixels, ``"theirs"`` takes the version on disk; every other change of both stays. One
        undoable step; saved at once."""
        if prefer not in ("mine", "theirs"):
            raise FormatError(f"choose mine or theirs, not {prefer!r}")
        if self.conflict is None or self.session is None:
            raise FormatError("there is no conflict to settle")
        s = self.session
        base, mine = self._saver.base, s.labels
        with self.lock:
            saved = save_item(self.ds, self.index, base, mine, user=self.user,
                              tool="keep mine" if prefer == "mine" else "take theirs",
                              status=lambda current: self._status_rule(current, "edited"), prefer=prefer)
            self._stamp = self.ds.item_stamp(self.index)
        disk = saved.labels
        others = (disk != mine) & (mine == base)    # their changes where this session made none
        if others.any():
            s.rebase(others, disk)
        if not np.array_equal(s.labels, disk):      # theirs won on the clashing pixels
            s.push(disk)
        self._saved_version = s.version
        self._saver.settled(disk, saved.digest)
        self._told = None

    def restore(self, number: int) -> None:
        """Version ``number`` of the current item's history (:meth:`Dataset.item_versions`)
        becomes its labels: one undoable step, saved like an edit."""
        if self.session is None:
            raise FormatError("open an item first")
        labels = self.ds.read_version(self.index, number)
        if labels.shape != self.session.shape:
            raise FormatError(f"version {number} of {self.name} is {labels.shape[1]}x{labels.shape[0]}, "
                              f"the image {self.session.shape[1]}x{self.session.shape[0]}")
        self.session.push(labels)
        self.changed(tool=f"restore {int(number)}")
