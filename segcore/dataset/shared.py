"""The part of a :class:`~segcore.dataset.Workspace` that deals with others working on the
same item: their saves come into the open session (:meth:`SharedItem.sync`; class maps per
pixel, an instance item's objects per object), a clash is settled
(:meth:`SharedItem.resolve`), and any kept version comes back (:meth:`SharedItem.restore`).

Another session's changes go under the whole undo history of this one (the current step, every
past and future step, a run of clicks' base): undo never takes them back. What the user should
hear is appended to ``notes``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConflictError, FormatError
from ..objects import Objects
from .merge import changed_ids, same_obj, take_changes
from .sync import changed_since, conflict, read_item, save_item, who_made

__all__ = ["SharedItem"]


class SharedItem:
    """Mixed into :class:`~segcore.dataset.Workspace` (which holds ``ds``, ``session``,
    ``index``, ``lock``, ``user`` and the background writer ``_saver``)."""

    @property
    def conflict(self) -> ConflictError | None:
        """The open conflict of the current item (settle with :meth:`resolve`), or None."""
        return self._saver.conflict

    def sync(self, adopt: bool = True) -> None:
        """Take in what happened to the current item since the last action: a failed save
        raises; a new conflict raises (once: it stays open in :attr:`conflict`); others'
        saves and other programs' writes come in (a line in :attr:`notes`; not with
        ``adopt=False``: the user has strokes pending over what they saw). Cheap when nothing
        changed (one ``stat`` of the item's files)."""
        if self.session is None:
            return
        self._apply_renumber()
        st = self._saver.state()
        if st.error is not None:
            raise st.error
        if st.conflict is not None:
            if st.conflict is not self._told:
                self._told = st.conflict
                raise st.conflict
            return
        if not st.idle or not adopt:
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

    def _adopt(self, mine, disk, by: str, digest: str | None) -> None:
        """Take ``disk`` (others' changes on top of ``mine``, what this session's labels are
        relative to; class maps or Objects) into the session, under every undo step."""
        s = self.session
        if disk.shape != s.shape:
            raise FormatError(f"{self.name}: its labels on disk are now {disk.shape[1]}x{disk.shape[0]}; "
                              "reopen the item")
        objects = isinstance(disk, Objects)
        if objects:
            others = changed_ids(mine, disk)
            current = s.objects
            clash = [oid for oid in others if not same_obj(current.find(oid), mine.find(oid))
                     and not same_obj(current.find(oid), disk.find(oid))]
            n = len(others)
        else:
            others = disk != mine
            n = int(np.count_nonzero(others))
            current = s.labels
            clash = others & (current != mine) & (current != disk)
            clash = clash if clash.any() else None
        if n:
            if clash:                       # an edit not yet saved, over what another changed
                with self.lock:
                    dig = digest if digest is not None else self._saver.digest
                    if objects:
                        e = conflict(self.ds, self.index, None, current.class_map(), disk.class_map(),
                                     disk.class_map(), dig, user=self.user, tool="unsaved edit", by=by,
                                     objects=[(oid, current.find(oid), disk.find(oid)) for oid in clash])
                    else:
                        e = conflict(self.ds, self.index, clash, current, disk, disk, dig, user=self.user,
                                     tool="unsaved edit", by=by)
                self._saver.hold(e)
                self._told = e
                raise e
            clean = not self.dirty
            self._take(mine, disk, others)
            if clean:
                self._saved_version = s.version
            what = f"{n} object{'s' if n != 1 else ''}" if objects else f"{n:,} pixels"
            self.notes.append(f"{by or 'another session'} changed {self.name}: {what} came in")
        self._saver.rebase(disk, digest)

    def _take(self, old, new, which) -> None:
        """Others' changes (from ``old`` to ``new``: ``which`` pixels, a ``(H, W)`` bool, or
        object ids) go under every step of the session's history."""
        s = self.session
        if isinstance(new, Objects):
            from ..edit.object_history import Step

            only = set(which)
            memo: dict = {}

            def step(st):
                key = id(st.objects)
                if key not in memo:
                    memo[key] = take_changes(st.objects, old, new, only)
                return Step(memo[key], st.selected, st.note)
            s.history.map_steps(step)
            s.version += 1
        else:
            s.rebase(which, new)

    def resolve(self, prefer: str) -> None:
        """Settle the open conflict: ``"mine"`` keeps this session's version of the clashing
        pixels (objects), ``"theirs"`` takes the version on disk; every other change of both
        stays. One undoable step; saved at once."""
        if prefer not in ("mine", "theirs"):
            raise FormatError(f"choose mine or theirs, not {prefer!r}")
        if self.conflict is None or self.session is None:
            raise FormatError("there is no conflict to settle")
        s = self.session
        self._apply_renumber()
        base, mine = self._saver.base, self._current()
        with self.lock:
            saved = save_item(self.ds, self.index, base, mine, user=self.user,
                              tool="keep mine" if prefer == "mine" else "take theirs",
                              status=lambda current: self._status_rule(current, "edited"), prefer=prefer)
            self._stamp = self.ds.item_stamp(self.index)
        disk = saved.labels
        if isinstance(disk, Objects):
            if saved.renumber:
                s.renumber(saved.renumber)
                mine, base = mine.renumbered(saved.renumber), base.renumbered(saved.renumber)
            mine_changed = set(changed_ids(base, mine))
            others = [oid for oid in changed_ids(mine, disk) if oid not in mine_changed]
            if others:
                self._take(mine, disk, others)
            if changed_ids(s.objects, disk):                 # theirs won on the clashing objects
                s._commit(take_changes(s.objects, s.objects, disk), s.selected)
        else:
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
