"""Walking a dataset item by item and correcting it: what the app's workspace does, in Python.

``Workspace(ds)`` holds the current item (an :class:`~segcore.edit.EditSession`; for an item of
an instance dataset, COCO, labelme, VOC with ``SegmentationObject``, an
:class:`~segcore.edit.ObjectSession` that edits its objects) and saves corrections back to the
dataset in its own format (objects through ``write_objects``, class maps ``write_labels``). Every change is saved by a background
writer shortly after it is made (the latest version wins; an edit is never waited on), and
moving to another item, marking it reviewed or closing waits for the writer, so what is on
disk is always the last thing the user saw.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from ..edit.apply import ApplyRule
from ..edit.object_session import ObjectSession
from ..edit.session import EditSession
from ..models.prompters import Prompter
from ..errors import FormatError, SegcoreError
from ..labels import LabelSet
from ..segmentation import Segmentation
from .base import Dataset
from .colors import set_class_color
from .prelabel import class_mapping

__all__ = ["Workspace", "BACKGROUND_ONLY"]

#: The classes of a dataset that has none yet, until a model or the user adds some.
BACKGROUND_ONLY = LabelSet(("background",))


class _Saver:
    """One background writer: ``submit`` replaces what is waiting, ``flush`` waits for it."""

    def __init__(self, write: Callable[[int, object, str], None]):
        self._write = write
        self._cv = threading.Condition()
        self._pending: tuple | None = None
        self._busy = False
        self._error: Exception | None = None
        self._thread: threading.Thread | None = None

    def submit(self, index: int, labels, status: str) -> None:
        """``labels``: a class map, or the item's Objects."""
        with self._cv:
            self._pending = (index, labels, status)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, daemon=True, name="segcore-autosave")
                self._thread.start()
            self._cv.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cv:
                if self._pending is None:
                    return
                job, self._pending, self._busy = self._pending, None, True
            try:
                self._write(*job)
            except Exception as e:  # kept for flush(), which reports it to the user
                with self._cv:
                    self._error = e
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()

    def flush(self) -> None:
        """Wait until everything submitted is written; raise the writer's error, if any."""
        with self._cv:
            while self._pending is not None or self._busy:
                self._cv.wait()
            err, self._error = self._error, None
        if err is not None:
            raise err


class Workspace:
    """A dataset being corrected. ``lock`` guards the dataset when several workspaces
    (browser sessions) share one ``Dataset`` object."""

    def __init__(self, ds: Dataset, lock: threading.RLock | None = None,
                 prompter: Callable[[str], Prompter] | Prompter | None = None,
                 rule: ApplyRule | None = None):
        self.ds = ds
        self.lock = lock or threading.RLock()
        self.prompter = prompter       # for clicks and boxes: one, or one per class name
        self.rule = rule or ApplyRule()
        self.index: int | None = None
        self.session: EditSession | None = None
        self.prediction: Segmentation | None = None   # the model's last mask of this item
        self._saved_version = 0
        self._saver = _Saver(self._write)
        self._renumber: dict = {}       # {item: {session id: file id}} from the writer
        self.skipped: list[tuple[int, str, str]] = []   # items the last move could not read
        #: Called as ``on_open(i, rgb)`` once item ``i`` is open (the app starts encoding it for
        #: clicks there, and the next item too).
        self.on_open: Callable[[int, np.ndarray], None] | None = None

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
        if self.ds.has_objects:
            with self.lock:
                objects = self.ds.read_objects(i)
            if objects.shape != rgb.shape[:2]:
                raise FormatError(f"{self.ds.names[i]}: its labels are {objects.shape[1]}x{objects.shape[0]} but "
                                  f"the image is {rgb.shape[1]}x{rgb.shape[0]}")
            self.session = ObjectSession(rgb, objects, prompter=self.prompter, rule=self.rule)
        else:
            with self.lock:
                labels = self.ds.read_labels(i)
            if labels is None:   # nothing labelled yet: void, or the class named background
                labels = np.full(rgb.shape[:2], self.label_set.unlabelled, np.uint8)
            elif labels.shape != rgb.shape[:2]:
                raise FormatError(f"{self.ds.names[i]}: its labels are {labels.shape[1]}x{labels.shape[0]} but "
                                  f"the image is {rgb.shape[1]}x{rgb.shape[0]}")
            self.session = EditSession(rgb, Segmentation(labels, self.label_set), prompter=self.prompter,
                                       rule=self.rule)
        self.index, self.prediction, self._saved_version = i, None, 0
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
    def _write(self, i: int, labels, status: str = "edited") -> None:
        with self.lock:
            if self.ds.label_set is None:
                self.ds.set_label_set(self.label_set)
            if status == "edited" and self.ds.status(i) == "reviewed":
                status = "reviewed"   # correcting a reviewed item keeps it reviewed
            elif status == "replaced":
                status = "edited"     # a model replaced its labels: to be reviewed again
            if isinstance(labels, np.ndarray):
                self.ds.write_labels(i, labels, status=status)
                return
            mapping = self.ds.write_objects(i, labels, status=status)
            if mapping:
                self._renumber.setdefault(i, {}).update(mapping)

    def _current(self):
        """What the current item's session holds: its objects, or its class map."""
        s = self.session
        return s.objects if s.has_objects else s.labels

    def _apply_renumber(self) -> None:
        """New objects the writer gave other ids take them in the session (main thread)."""
        with self.lock:
            mapping = self._renumber.pop(self.index, None) if self._renumber else None
        if mapping and self.session is not None and self.session.has_objects:
            self.session.renumber(mapping)

    def changed(self, status: str = "edited") -> None:
        """Call after each edit of the current item: it is saved in the background."""
        self._apply_renumber()
        if self.dirty:
            self._saved_version = self.session.version
            self._saver.submit(self.index, self._current(), status)

    def save(self) -> None:
        """Write the current item now if it changed, and wait for the background writer."""
        self.changed()
        self._saver.flush()
        self._apply_renumber()

    def mark_reviewed(self, reviewed: bool = True) -> str:
        """Save and set the current item's status to reviewed (or back to edited)."""
        if self.session is None:
            raise FormatError("open an item first")
        self.save()
        with self.lock:
            if self.ds.status(self.index) == "unlabelled":
                if self.session.has_objects:
                    self.ds.write_objects(self.index, self.session.objects, status="edited")
                else:
                    self.ds.write_labels(self.index, self.session.labels, status="edited")
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
        if status in ("unlabelled", "predicted"):
            self.changed("predicted")
        else:
            self.changed("replaced" if replace else "edited")
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
