"""Walking a dataset item by item and correcting it: what the app's workspace does, in Python.

``Workspace(ds)`` holds the current item (an :class:`~segcore.edit.EditSession`; for an item of
an instance dataset, COCO, labelme, VOC with ``SegmentationObject``, an
:class:`~segcore.edit.ObjectSession` that edits its objects) and saves corrections back to the
dataset in its own format (objects through ``write_objects``, class maps ``write_labels``).
Every change is saved by a background writer shortly after it is made (:mod:`.autosave`; an
edit is never waited on), and moving to another item, marking it reviewed or closing waits for
the writer, so what is on disk is always the last thing the user saw.

Several workspaces (browser sessions, servers) may work on one item: each save is merged with
what others saved since (:mod:`.sync`: per pixel, or per object on instance datasets); their
changes come into this session at its next action (:meth:`Workspace.sync`, under its whole undo
history, so undo never takes another's work back), and where both changed the same pixels or
object differently the user settles it (:meth:`Workspace.resolve`). Who saves is ``user``; only
a ``reviewer`` marks items reviewed.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from ..edit.apply import ApplyRule
from ..edit.object_session import ObjectSession
from ..edit.session import EditSession
from ..models.prompters import Prompter
from ..errors import AccessError, ConflictError, FormatError, SegcoreError
from ..labels import LabelSet
from ..segmentation import Segmentation
from .autosave import Saver
from .base import Dataset
from .colors import set_class_color
from .prelabel import class_mapping
from .shared import SharedItem
from .sync import read_item, save_item

__all__ = ["Workspace", "BACKGROUND_ONLY"]

#: The classes of a dataset that has none yet, until a model or the user adds some.
BACKGROUND_ONLY = LabelSet(("background",))


class Workspace(SharedItem):
    """A dataset being corrected. ``lock`` guards the dataset when several workspaces
    (browser sessions) share one ``Dataset`` object. ``user``: who saves (an account's name,
    or ``local``); ``reviewer``: whether they may set or clear "reviewed"."""

    def __init__(self, ds: Dataset, lock: threading.RLock | None = None,
                 prompter: Callable[[str], Prompter] | Prompter | None = None,
                 rule: ApplyRule | None = None, user: str = "local", reviewer: bool = True):
        self.lock = lock or threading.RLock()
        self._saver = Saver(ds, lambda: self.user, self.lock)
        self._saver.status_rule = self._status_rule
        self.ds = ds
        self.user = user
        self.reviewer = reviewer
        self.prompter = prompter       # for clicks and boxes: one, or one per class name
        self.rule = rule or ApplyRule()
        self.index: int | None = None
        self.session: EditSession | None = None
        self.prediction: Segmentation | None = None   # the model's last mask of this item
        self._saved_version = 0
        self._stamp = None                 # the open item's files when last looked at
        self._told: ConflictError | None = None
        self.skipped: list[tuple[int, str, str]] = []   # items the last move could not read
        self.notes: list[str] = []         # what the user should hear (others' changes came in)
        #: Called as ``on_open(i, rgb)`` once item ``i`` is open (the app starts encoding it for
        #: clicks there, and the next item too).
        self.on_open: Callable[[int, np.ndarray], None] | None = None

    @property
    def ds(self) -> Dataset:
        return self._ds

    @ds.setter
    def ds(self, ds: Dataset) -> None:
        """Another dataset (the app's uploads move folders): saved to from now on."""
        self._ds = self._saver.ds = ds

    # -- classes -----------------------------------------------------------------------
    @property
    def label_set(self) -> LabelSet:
        return self.ds.label_set or BACKGROUND_ONLY

    def add_class(self, name: str) -> int:
        with self.lock:
            if self.ds.label_set is None:
                self.ds.set_label_set(BACKGROUND_ONLY)
            k = self.ds.add_class(name)
        if self.session is not None:   # the current mask takes the grown class list
            self.session.history.set_label_set(self.ds.label_set)
        return k

    def set_class_color(self, k: int, color) -> None:
        """Class ``k`` takes ``color`` (``"#rrggbb"`` or RGB), kept with the dataset."""
        with self.lock:
            ls = set_class_color(self.ds, k, color)
        if self.session is not None:
            self.session.history.set_label_set(ls)

    def adopt_classes(self, model_ls: LabelSet) -> np.ndarray:
        """Lookup from a model's classes to the dataset's. A dataset with no classes (or only
        background, and nothing labelled) takes the model's classes."""
        with self.lock:
            ls = self.ds.label_set
            fresh = ls is None or (ls.names == ("background",) and
                                   all(self.ds.status(i) == "unlabelled" for i in range(len(self.ds))))
            if fresh and model_ls.names != self.label_set.names:
                self.ds.set_label_set(model_ls)
                if self.session is not None:
                    self.session.history.set_label_set(model_ls)
        lut, _ = class_mapping(model_ls, self.label_set)
        return lut

    # -- moving ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ds)

    @property
    def name(self) -> str | None:
        return None if self.index is None else self.ds.names[self.index]

    @property
    def dirty(self) -> bool:
        return self.session is not None and self.session.version != self._saved_version

    def open(self, i: int) -> EditSession:
        """Save the current item, then load item ``i`` (its labels, or an empty mask)."""
        if not len(self.ds):
            raise FormatError("the dataset has no images yet")
        i = self.ds._check(int(i))
        self.save()
        rgb = self.ds.read_image(i)
        with self.lock:
            state, digest = read_item(self.ds, i)
            self._stamp = self.ds.item_stamp(i)
        if self.ds.has_objects:
            if state.shape != rgb.shape[:2]:
                raise FormatError(f"{self.ds.names[i]}: its labels are {state.shape[1]}x{state.shape[0]} but "
                                  f"the image is {rgb.shape[1]}x{rgb.shape[0]}")
            self.session = ObjectSession(rgb, state, prompter=self.prompter, rule=self.rule)
        else:
            if state is None:   # nothing labelled yet: void, or the class named background
                state = np.full(rgb.shape[:2], self.label_set.unlabelled, np.uint8)
            elif state.shape != rgb.shape[:2]:
                raise FormatError(f"{self.ds.names[i]}: its labels are {state.shape[1]}x{state.shape[0]} but "
                                  f"the image is {rgb.shape[1]}x{rgb.shape[0]}")
            self.session = EditSession(rgb, Segmentation(state, self.label_set), prompter=self.prompter,
                                       rule=self.rule)
        self.index, self.prediction, self._saved_version = i, None, 0
        self._saver.start(i, state, digest)
        self._told = None
        if self.on_open is not None:
            self.on_open(i, rgb)
        return self.session

    def open_name(self, name: str) -> EditSession:
        return self.open(self.ds.index_of(name))

    def first_to_review(self) -> int:
        """Where a session starts: the first item not reviewed (else the first item)."""
        for i in range(len(self.ds)):
            if self.ds.status(i) != "reviewed":
                return i
        return 0

    def step(self, delta: int, not_reviewed: bool = False) -> EditSession:
        """Save, then move ``delta`` items, stopping at the ends (a one-line error there);
        ``not_reviewed`` goes to the next item not reviewed (wrapping) instead. An item that
        cannot be read is skipped and listed in ``skipped`` (name, message)."""
        self.skipped = []
        start = -1 if self.index is None else self.index
        self.save()
        for _ in range(len(self.ds)):
            if not_reviewed:
                with self.lock:
                    nxt = self.ds.next_index(start, ("unlabelled", "predicted", "edited"), step=1 if delta >= 0 else -1)
                if nxt is None or nxt in [i for i, _, _ in self.skipped]:
                    raise FormatError("every item is reviewed" if not self.skipped else
                                      f"every item not reviewed cannot be read, e.g. {self.skipped[0][2]}")
            else:
                nxt = start + delta
                if not 0 <= nxt < len(self.ds):
                    n = len(self.ds)
                    if self.skipped:
                        raise FormatError(f"no item {'after' if delta > 0 else 'before'} this one can be read, "
                                          f"e.g. {self.skipped[0][2]}")
                    raise FormatError(f"this is the last item ({n} of {n})" if delta > 0 else
                                      f"this is the first item (1 of {n})")
            try:
                return self.open(nxt)
            except SegcoreError as e:
                self.skipped.append((nxt, self.ds.names[nxt], str(e)))
                start = nxt
                if delta == 0:
                    raise
        raise FormatError(f"no item can be read, e.g. {self.skipped[0][2]}")

    # -- saving --------------------------------------------------------------------------
    def shown_status(self, i: int) -> str:
        """Item ``i``'s status for a list, without waiting for a save being written (it does
        not take the dataset's lock): the open item's is the one its save on the way will write."""
        current = self.ds.status(i)
        asked = self._saver.status_on_the_way() if i == self.index else None
        return current if asked is None else self._status_rule(current, asked)

    def _status_rule(self, current: str, status: str) -> str:
        """The status a save writes, from the one on disk: correcting a reviewed item keeps it
        reviewed when a reviewer does it, and sends it back to review otherwise."""
        if status == "edited" and current == "reviewed":
            return "reviewed" if self.reviewer else "edited"
        if status == "replaced":
            return "edited"     # a model replaced its labels: to be reviewed again
        return status

    def _current(self):
        """What the current item's session holds: its objects, or its class map."""
        s = self.session
        return s.objects if s.has_objects else s.labels

    def _apply_renumber(self) -> None:
        """New objects the writer gave other ids take them in the session (main thread)."""
        mapping = self._saver.take_renumber()
        if mapping and self.session is not None and self.session.has_objects:
            self.session.renumber(mapping)

    def changed(self, status: str = "edited", tool: str = "") -> None:
        """Call after each edit of the current item: it is saved in the background. ``tool``:
        what made the edit (kept in the item's history). Held while a conflict is open."""
        self._apply_renumber()
        if self.dirty and self.conflict is None:
            if self.ds.label_set is None:
                with self.lock:
                    self.ds.set_label_set(self.label_set)
            self._saved_version = self.session.version
            self._saver.submit(self._current(), status, tool)

    def save(self) -> None:
        """Write the current item now if it changed, and wait for the background writer.
        Raises :class:`ConflictError` while a conflict is open (nothing is lost: settle it)."""
        self.changed()
        self._saver.flush()
        self._apply_renumber()

    def mark_reviewed(self, reviewed: bool = True) -> str:
        """Save and set the current item's status to reviewed (or back to edited)."""
        if self.session is None:
            raise FormatError("open an item first")
        if not self.reviewer:
            raise AccessError(f"only a reviewer can {'mark' if reviewed else 'unmark'} items reviewed; "
                              f"{self.user} is an annotator")
        self.save()
        with self.lock:
            if self.ds.status(self.index) == "unlabelled":
                saved = save_item(self.ds, self.index, self._saver.base, self._current(), user=self.user,
                                  tool="marked reviewed", status="edited")
                if saved.renumber and self.session.has_objects:
                    self.session.renumber(saved.renumber)
                self._saver.rebase(saved.labels, saved.digest)
            self.ds.set_status(self.index, "reviewed" if reviewed else "edited")
            return self.ds.status(self.index)

    # -- models --------------------------------------------------------------------------
    def predict_current(self, model, replace: bool = False) -> Segmentation:
        """The model's mask of the current item in the dataset's classes, as an undoable step.

        It fills only the unlabelled pixels (void, and the class named background) unless
        ``replace``: then it replaces every label and a reviewed item is to be reviewed again."""
        if self.session is None:
            raise FormatError("open an item first")
        model_ls = model.spec.label_set if getattr(model, "spec", None) is not None else model.label_set
        seg = model.predict(self.session.rgb)
        lut = self.adopt_classes(model_ls)
        seg = Segmentation(lut[seg.labels], self.label_set, seg.confidence)
        self.prediction = seg
        with self.lock:
            status = self.ds.status(self.index)
        if not replace:
            current = self.session.labels
            bg = self.label_set.background
            open_ = (current == self.label_set.void_index) | (current == bg if bg is not None else False)
            seg = Segmentation(np.where(open_, seg.labels, current).astype(np.uint8), self.label_set)
        if np.array_equal(seg.labels, self.session.labels):
            self.session.last_changed = 0
            return seg
        self.session.replace(seg)
        tool = f"model {getattr(getattr(model, 'spec', None), 'name', '') or type(model).__name__}"
        if status in ("unlabelled", "predicted"):
            self.changed("predicted", tool)
        else:
            self.changed("replaced" if replace else "edited", tool)
        return seg

    def set_prompter(self, prompter: Callable[[str], Prompter] | Prompter | None) -> None:
        """What answers clicks and boxes from now on; the current item's next click asks it."""
        self.prompter = prompter
        if self.session is not None:
            self.session.prompter = prompter
            self.session._prompters.clear()   # the ones made for the previous choice

    def set_rule(self, rule: ApplyRule) -> None:
        """How tools write from now on (overwrite rule, locks, erase target)."""
        self.rule = rule
        if self.session is not None:
            self.session.rule = rule

    def close(self) -> None:
        try:
            self.save()
        except SegcoreError:
            pass
