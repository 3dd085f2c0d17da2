"""One image being corrected: its label map, undo history, and the state of the click tools.

Modelled on segment-anything's ``SamPredictor``: the image is set once, then prompts (clicks,
a box, a wand click, brush strokes) each give a new label map, kept as an undoable step.

Clicks form a *run* for one class: each click re-cuts the class from the labels as they were
before the run's first click, with all the run's clicks (and the run's box, if it started
with one), as interactive-segmentation methods do. Undo removes the last click's effect and
its marker, because every step carries the run's clicks as its note.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import PromptError
from ..models.grabcut import check_box
from ..segmentation import Segmentation
from .helpers import grabcut_in_box
from .history import History
from .interactive import Click, check_clicks, click_segment
from .strokes import paint_strokes
from .wand import magic_wand

__all__ = ["EditSession", "ClickRun"]


@dataclass(frozen=True)
class ClickRun:
    """The clicks (and box) of the current run of class ``cls``, and the labels before it."""

    cls: int
    base: bytes                     # zlib of the label map before the run
    clicks: tuple[Click, ...] = ()
    box: tuple[int, int, int, int] | None = None

    def base_labels(self, shape) -> np.ndarray:
        return np.frombuffer(zlib.decompress(self.base), np.uint8).reshape(shape).copy()


@dataclass
class EditSession:
    """Corrections of one image. ``person_model``: a callable returning a loaded selfie
    model (or None), used by clicks on a class named "person"."""

    rgb: np.ndarray
    initial: Segmentation
    person_model: Callable[[], object] | None = None
    history: History = field(init=False)
    corner: tuple[int, int] | None = field(default=None, init=False)   # first corner of a box
    version: int = field(default=0, init=False)                         # changes with every step

    def __post_init__(self):
        if self.rgb.shape[:2] != self.initial.shape:
            raise PromptError(f"image {self.rgb.shape[1]}x{self.rgb.shape[0]} and mask "
                              f"{self.initial.shape[1]}x{self.initial.shape[0]} differ in size")
        self.history = History(self.initial)

    # -- state ----------------------------------------------------------------------------
    @property
    def seg(self) -> Segmentation:
        return self.history.current

    @property
    def labels(self) -> np.ndarray:
        return self.history.current.labels

    @property
    def shape(self) -> tuple[int, int]:
        return self.initial.shape

    @property
    def run(self) -> ClickRun | None:
        note = self.history.note
        return note if isinstance(note, ClickRun) else None

    @property
    def markers(self) -> list[Click]:
        """The clicks of the current run, to draw on the image."""
        return list(self.run.clicks) if self.run else []

    def _check_class(self, cls) -> int:
        ls = self.seg.label_set
        if isinstance(cls, str):
            cls = ls.index_of(cls)
        cls = int(cls)
        if not (0 <= cls < len(ls) or cls == ls.void_index):
            raise PromptError(f"class {cls} is not one of the {len(ls)} classes")
        return cls

    def push(self, labels: np.ndarray, note=None) -> Segmentation:
        """A new step (also how a new prediction enters: undoable, never a wipe)."""
        self.corner = None
        self.version += 1
        return self.history.push(self.seg.with_labels(labels), note)

    def replace(self, seg: Segmentation) -> Segmentation:
        """A whole new segmentation (segment again), as one undoable step."""
        if seg.shape != self.shape:
            raise PromptError("the new mask does not match the image's size")
        self.corner = None
        self.version += 1
        return self.history.push(seg)

    def undo(self) -> Segmentation:
        self.corner = None
        if self.history.can_undo:
            self.version += 1
        return self.history.undo()

    def redo(self) -> Segmentation:
        self.corner = None
        if self.history.can_redo:
            self.version += 1
        return self.history.redo()

    # -- tools ----------------------------------------------------------------------------
    def paint(self, strokes, erase_to: int = 0) -> bool:
        """Brush and eraser strokes; True if any pixel changed (no step otherwise)."""
        ls = self.seg.label_set
        new = paint_strokes(self.labels, strokes, len(ls), ls.void_index, erase_to)
        if np.array_equal(new, self.labels):
            return False
        self.push(new)
        return True

    def click(self, x, y, positive: bool, cls) -> Segmentation:
        """A positive (add) or negative (remove) click for class ``cls``."""
        cls = self._check_class(cls)
        H, W = self.shape
        (click,) = check_clicks([(int(round(float(x))), int(round(float(y))), bool(positive))], H, W)
        run = self.run
        if run is None or run.cls != cls:
            run = ClickRun(cls, zlib.compress(self.labels.tobytes(), 1))
        run = ClickRun(cls, run.base, run.clicks + (click,), run.box)
        base = run.base_labels(self.shape)
        names = self.seg.label_set.names
        is_person = cls < len(names) and names[cls] == "person"
        person = self.person_model() if self.person_model is not None and is_person else None
        new = click_segment(self.rgb, base, list(run.clicks), cls, box=run.box, person_model=person)
        return self.push(new, run)

    def box(self, x0, y0, x1, y1, cls) -> Segmentation:
        """Re-cut class ``cls`` inside a box; later clicks of the class refine within it."""
        cls = self._check_class(cls)
        H, W = self.shape
        box = check_box((x0, y0, x1, y1), H, W)
        base = zlib.compress(self.labels.tobytes(), 1)
        new = grabcut_in_box(self.rgb, self.labels, box, cls)
        return self.push(new, ClickRun(cls, base, (), tuple(int(v) for v in box)))

    def box_corner(self, x, y, cls) -> Segmentation | None:
        """A box drawn by two clicks: the first is remembered, the second cuts."""
        H, W = self.shape
        x, y = int(round(float(x))), int(round(float(y)))
        if not (0 <= x < W and 0 <= y < H):
            raise PromptError(f"point {x},{y} is off the {W}x{H} image")
        if self.corner is None:
            self.corner = (x, y)
            return None
        (cx, cy), self.corner = self.corner, None
        if abs(cx - x) < 2 or abs(cy - y) < 2:
            raise PromptError("the two corners of a box must differ in x and in y; click the first corner again")
        return self.box(min(cx, x), min(cy, y), max(cx, x) + 1, max(cy, y) + 1, cls)

    def wand(self, x, y, tolerance, cls) -> Segmentation | None:
        """Fill the connected region of similar colour around ``(x, y)`` with class ``cls``."""
        cls = self._check_class(cls)
        region = magic_wand(self.rgb, x, y, int(tolerance))
        if (self.labels[region] == cls).all():
            return None
        new = self.labels.copy()
        new[region] = cls
        return self.push(new)
