"""One image being corrected: its label map, undo history, and the state of the click tools.

Modelled on segment-anything's ``SamPredictor``: the image is set once, then prompts (clicks,
a box, a wand click, brush strokes) each give a new label map, kept as an undoable step.

Every tool proposes a candidate region and :mod:`segcore.edit.apply` writes it, so a tool
never changes a pixel outside its candidate, and never one the overwrite rule protects.

Clicks form a *run* for one class: each click asks the prompter for the object with all the
run's points (and the run's box, if it started with one; the previous answer as
``mask_input``; at the first click the class's region near the clicks as ``prior``), and the
answer is applied to the labels as they were before the run by the rule of
:mod:`segcore.edit.click_rule`: the run's additions follow the latest answer; the class's
region as it was before the run loses pixels only to a negative click, near the click, whatever
the prompter answered elsewhere. Pixels the run gives up go back to what they were before the
run; those that were the class's own go to the erase target (void unless a class is named
background), never to class 0. Undo removes the last click's effect and its marker, because
every step carries the run as its note.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from ..errors import PromptError
from ..models.prompters import Prompter
from ..models.prompters.grabcut import GrabCutPrompter
from ..prompts import Point, check_box, check_points
from ..segmentation import Segmentation
from .apply import ApplyRule, apply_region, background_index
from .click_rule import object_near, run_result
from .history import History
from .strokes import paint_strokes
from .wand import auto_tolerance, check_tolerance, magic_wand

__all__ = ["EditSession", "ClickRun"]


@dataclass(frozen=True)
class ClickRun:
    """The points (and box) of the current run of class ``cls``, what it started from, and
    the prompter's last low-resolution logits (fed back with the next click). A run on a
    class map starts from the label map (``base``: its zlib); a run on an object (``obj``: its
    id, None until a new object has pixels) from the object's mask (``base``: an ObjMask or
    None for a new object)."""

    cls: int
    base: object                    # zlib bytes of the label map, or the object's ObjMask / None
    clicks: tuple[Point, ...] = ()
    box: tuple[int, int, int, int] | None = None
    logits: np.ndarray | None = None
    prompter: str = ""
    obj: int | None = None

    def base_labels(self, shape) -> np.ndarray:
        return np.frombuffer(zlib.decompress(self.base), np.uint8).reshape(shape).copy()


@dataclass
class EditSession:
    """Corrections of one image.

    ``prompter``: the prompter for clicks and boxes, or a callable ``class name -> Prompter``
    (the app gives the selfie model to a class named "person"); default: GrabCut.
    ``rule``: how tools write (overwrite rule, locked classes, erase target).
    """

    rgb: np.ndarray
    initial: Segmentation
    prompter: Prompter | Callable[[str], Prompter] | None = None
    rule: ApplyRule = field(default_factory=ApplyRule)
    history: History = field(init=False)
    corner: tuple[int, int] | None = field(default=None, init=False)   # first corner of a box
    version: int = field(default=0, init=False)                         # changes with every step
    last_changed: int = field(default=0, init=False)                    # pixels the last tool changed
    #: Whether this session edits objects (:class:`~segcore.edit.ObjectSession`) or a class map.
    has_objects = False
    objects = None
    selected = None

    def __post_init__(self):
        if self.rgb.shape[:2] != self.initial.shape:
            raise PromptError(f"image {self.rgb.shape[1]}x{self.rgb.shape[0]} and mask "
                              f"{self.initial.shape[1]}x{self.initial.shape[0]} differ in size")
        self.history = History(self.initial)
        self._prompters: dict[str, Prompter] = {}

    # -- state ----------------------------------------------------------------------------
    @property
    def seg(self) -> Segmentation:
        return self.history.current

    @property
    def labels(self) -> np.ndarray:
        return self.history.current.labels

    @property
    def label_set(self):
        return self.history.current.label_set

    @property
    def shape(self) -> tuple[int, int]:
        return self.initial.shape

    @property
    def run(self) -> ClickRun | None:
        note = self.history.note
        return note if isinstance(note, ClickRun) else None

    @property
    def markers(self) -> list[Point]:
        """The clicks of the current run, to draw on the image."""
        return list(self.run.clicks) if self.run else []

    def class_index(self, cls) -> int:
        ls = self.label_set
        if isinstance(cls, str):
            cls = ls.index_of(cls)
        cls = int(cls)
        if not (0 <= cls < len(ls) or cls == ls.void_index):
            raise PromptError(f"class {cls} is not one of the {len(ls)} classes")
        return cls

    def prompter_for(self, cls: int) -> Prompter:
        """The prompter for class ``cls``, with this image set (cheap when it already is)."""
        p = self.prompter
        if callable(p) and not isinstance(p, Prompter):
            name = self.label_set.names[cls] if cls < len(self.label_set) else ""
            if name not in self._prompters:     # one per class name: each holds this image
                self._prompters[name] = p(name)
            p = self._prompters[name]
        if p is None:
            if "" not in self._prompters:
                self._prompters[""] = GrabCutPrompter()
            p = self._prompters[""]
        p.set_image(self.rgb)
        return p

    def _rule(self, overwrite) -> ApplyRule:
        return self.rule.with_overwrite(overwrite)

    def push(self, labels: np.ndarray, note=None) -> Segmentation:
        """A new step (also how a new prediction enters: undoable, never a wipe)."""
        self.corner = None
        self.version += 1
        self.last_changed = int((labels != self.labels).sum())
        return self.history.push(self.seg.with_labels(labels), note)

    def replace(self, seg: Segmentation) -> Segmentation:
        """A whole new segmentation (segment again), as one undoable step."""
        if seg.shape != self.shape:
            raise PromptError("the new mask does not match the image's size")
        self.corner = None
        self.version += 1
        self.last_changed = int((seg.labels != self.labels).sum())
        return self.history.push(seg)

    def rebase(self, where: np.ndarray, values: np.ndarray) -> None:
        """Another session's changes (``values`` at ``where``, both ``(H, W)``) come under
        every step, the current one and the base of a run of clicks included: undo and the next
        click never take them back."""
        def labels(lab):
            return np.where(where, values, lab).astype(np.uint8)

        def note(n):
            if isinstance(n, ClickRun):
                return replace(n, base=zlib.compress(labels(n.base_labels(self.shape)).tobytes(), 1))
            return n
        self.history.rebase(labels, note)
        self.version += 1

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
    def paint(self, strokes, erase_to: int | None = None, overwrite: str | None = None) -> bool:
        """Brush and eraser strokes; True if any pixel changed (no step otherwise). Brush
        strokes follow the overwrite rule; the eraser writes the erase target and keeps
        locked classes (unless the rule is ``any``)."""
        ls = self.label_set
        rule = self._rule(overwrite)
        target = rule.erase_value(ls) if erase_to is None else int(erase_to)
        brush_ok = rule.writable(self.labels, ls)
        erase_ok = ApplyRule("any" if rule.overwrite == "any" else "unlocked", rule.locked).writable(self.labels, ls)
        new = paint_strokes(self.labels, strokes, len(ls), ls.void_index, target,
                            writable=brush_ok, erasable=erase_ok)
        if np.array_equal(new, self.labels):
            self.last_changed = 0
            return False
        self.push(new)
        return True

    def click(self, x, y, positive: bool, cls, overwrite: str | None = None) -> Segmentation:
        """A positive (add) or negative (remove) click for class ``cls``."""
        cls = self.class_index(cls)
        rule = self._rule(overwrite)
        rule.check_target(cls, self.label_set)
        (click,) = check_points([(x, y, positive)], *self.shape)
        prompter = self.prompter_for(cls)
        run = self.run
        if run is None or run.cls != cls or run.prompter != prompter.name:
            run = ClickRun(cls, zlib.compress(self.labels.tobytes(), 1), prompter=prompter.name)
        clicks = run.clicks + (click,)
        base = run.base_labels(self.shape)
        ls = self.label_set
        own = base == cls
        first = len(clicks) == 1 and run.box is None
        # the prompter starts from the class's region near the clicks (click_rule.object_near)
        prior = object_near(own, clicks) if first or run.logits is None else None
        result = prompter.predict(clicks, run.box, None if first else run.logits, multimask=first,
                                  prior=prior if prior is not None and prior.any() else None)
        mask = run_result(own, self.labels == cls, result.mask, click, rule.writable(base, ls))
        # the run applies to the labels as they were before it: what it gives up goes back to
        # what it was, the class's own pixels to the erase target (never to class 0)
        new = base.copy()
        new[mask] = cls
        new[own & ~mask] = rule.erase_value(ls)
        logits = None if result.logits is None else result.logits.astype(np.float16)
        return self.push(new, replace(run, clicks=clicks, logits=logits))

    def box(self, x0, y0, x1, y1, cls, overwrite: str | None = None) -> Segmentation:
        """The object inside a box takes class ``cls``; later clicks of the class refine it."""
        cls = self.class_index(cls)
        rule = self._rule(overwrite)
        rule.check_target(cls, self.label_set)
        box = check_box((x0, y0, x1, y1), *self.shape)
        prompter = self.prompter_for(cls)
        base = self.labels
        x0, y0, x1, y1 = box
        inside = np.zeros(self.shape, bool)
        inside[y0:y1, x0:x1] = True
        own = (base == cls) & inside
        prior = own if own.any() and not own[y0:y1, x0:x1].all() else None
        result = prompter.predict((), box, None, multimask=True, prior=prior)
        new = apply_region(base, result.mask & inside, cls, rule, self.label_set)
        logits = None if result.logits is None else result.logits.astype(np.float16)
        run = ClickRun(cls, zlib.compress(base.tobytes(), 1), (), tuple(int(v) for v in box), logits, prompter.name)
        return self.push(new, run)

    def box_corner(self, x, y, cls, overwrite: str | None = None) -> Segmentation | None:
        """A box drawn by two clicks: the first is remembered, the second cuts."""
        H, W = self.shape
        ((x, y, _),) = check_points([(x, y, True)], H, W)
        if self.corner is None:
            self.corner = (x, y)
            return None
        (cx, cy), self.corner = self.corner, None
        if abs(cx - x) < 2 or abs(cy - y) < 2:
            raise PromptError("the two corners of a box must differ in x and in y; click the first corner again")
        return self.box(min(cx, x), min(cy, y), max(cx, x) + 1, max(cy, y) + 1, cls, overwrite)

    def default_tolerance(self) -> int:
        """A wand tolerance that suits this photo (see :func:`segcore.edit.wand.auto_tolerance`)."""
        if getattr(self, "_tolerance", None) is None:
            self._tolerance = auto_tolerance(self.rgb)
        return self._tolerance

    def wand(self, x, y, tolerance, cls, overwrite: str | None = None) -> Segmentation | None:
        """The connected region of similar colour around ``(x, y)`` takes class ``cls``. The
        region stays within the clicked pixel's current class (or within void and background
        where it is unlabelled) and does not grow through pixels the overwrite rule protects."""
        cls = self.class_index(cls)
        rule = self._rule(overwrite)
        rule.check_target(cls, self.label_set)
        tol = self.default_tolerance() if tolerance is None or tolerance == "" else check_tolerance(tolerance)
        ((x, y, _),) = check_points([(x, y, True)], *self.shape)
        labels, ls = self.labels, self.label_set
        # The object pointed at: similar colour within the clicked pixel's current region
        # (its class; or void and background, where it is unlabelled), never across others.
        bg = background_index(ls)
        unlabelled = [ls.void_index] + ([] if bg is None else [bg])
        here = int(labels[y, x])
        same = np.isin(labels, unlabelled) if here in unlabelled else labels == here
        region = magic_wand(self.rgb, x, y, tol, within=same & rule.writable(labels, ls))
        if not region.any() or (self.labels[region] == cls).all():
            self.last_changed = 0
            return None
        return self.push(apply_region(self.labels, region, cls, rule, self.label_set))

    def region(self, region: np.ndarray, cls, overwrite: str | None = None) -> Segmentation | None:
        """Any candidate region (a polygon's inside, a helper's answer) takes class ``cls``."""
        cls = self.class_index(cls)
        rule = self._rule(overwrite)
        rule.check_target(cls, self.label_set)
        if np.shape(region) != self.shape:
            raise PromptError("the region does not match the image's size")
        new = apply_region(self.labels, region, cls, rule, self.label_set)
        if np.array_equal(new, self.labels):
            self.last_changed = 0
            return None
        return self.push(new)
