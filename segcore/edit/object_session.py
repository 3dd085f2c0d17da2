"""Editing one image of an instance dataset: every tool acts on one object.

An :class:`ObjectSession` is an :class:`~segcore.edit.EditSession` whose state is the image's
:class:`~segcore.objects.Objects` and a selected object. Which object a tool acts on:

* ``obj=`` if given (a one-line PromptError if there is no such object, or it is locked);
* else the selected object, if the tool's class is its class (or the tool has no class);
* else, for a click (Add, or the wand) with nothing selected, the top visible object of the
  tool's class under the click (the click refines it, as a click on a region of a class always
  did), unless ``new_object()`` asked for a new one;
* else a NEW object of the tool's class, on top, which then becomes selected (so the next
  click refines it). ``new_object()`` (the "new object" button and key) makes the next tool
  start one whatever it lands on; ``select(None)`` only clears the selection.

Adding (brush, a positive click, a box, the wand, a polygon) adds pixels to that object only;
the other objects keep theirs: where they overlap, the higher one shows. Removing (eraser, a
negative click, ``region(erase=True)``) takes pixels from that object only, uncovering what
lies beneath; with nothing selected a negative click acts on the top visible object under it
and the eraser on the top visible object at each pixel it covers. No tool ever takes a pixel
from another object. A click run hands the prompter the target object's own mask as its prior
(SAM's ``mask_input``), never the union of touching objects of its class, and applies its
answers by the rule of :mod:`.click_rule`: a positive click never takes the object's pixels, a
negative one takes them only near itself, however poor the answer.

The overwrite rule (:class:`~segcore.edit.ApplyRule`) holds per object and per class:
``unlocked`` keeps tools off the pixels of locked objects and of objects of locked classes, and
a locked object cannot be the target; ``unlabelled`` adds only where no other object lies
(background objects aside); ``any`` lifts both.

Polygon objects (vertices kept; the polygon tool, vertex edits, ``simplify``) are in
:mod:`.object_vertices`; a tool that changes a polygon object's pixels makes it a mask object.

Where the format holds no background or void objects (COCO, VOC: ``objects.keeps_void`` is
False), brush strokes and regions of the background class (or void) erase instead, as the
eraser does: painting "unlabelled" is taking pixels away. labelme keeps them as
``_background_`` / ``__ignore__`` shapes, so there they are objects like any other.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import PromptError
from ..objects import Obj, ObjMask, Objects, apply_class_map
from ..prompts import check_box, check_points
from ..segmentation import Segmentation
from .apply import ApplyRule
from .click_rule import run_result
from .object_actions import ObjectActions
from .object_history import ObjectHistory, Step
from .object_rules import ObjectRules, pixels_between
from .object_vertices import VertexActions
from .session import ClickRun, EditSession
from .strokes import check_strokes, stroke_footprint
from .wand import check_tolerance, magic_wand

__all__ = ["ObjectSession"]


class ObjectSession(ObjectRules, ObjectActions, VertexActions, EditSession):
    """Corrections of one image's objects (module doc). ``prompter`` and ``rule`` as for
    :class:`EditSession`."""

    has_objects = True

    def __init__(self, rgb: np.ndarray, objects: Objects, prompter=None, rule: ApplyRule | None = None):
        if rgb.shape[:2] != objects.shape:
            raise PromptError(f"image {rgb.shape[1]}x{rgb.shape[0]} and objects {objects.shape[1]}x"
                              f"{objects.shape[0]} differ in size")
        self.rgb = rgb
        self.prompter = prompter
        self.rule = rule or ApplyRule()
        self.corner = None
        self.version = 0
        self.last_changed = 0
        self._prompters = {}
        self.history = ObjectHistory(objects)
        self._seg = (None, None)
        #: ids of polygon objects the last step made mask objects (a brush stroke, a click...)
        self.unpolygoned: tuple[int, ...] = ()
        #: pixels of a new polygon the overwrite rule kept out (it was added as a mask)
        self.clipped = 0
        #: (holes, pixels) the last ``simplify`` filled
        self.filled = (0, 0)

    # -- state ----------------------------------------------------------------------------
    @property
    def objects(self) -> Objects:
        return self.history.objects

    @property
    def selected(self) -> int | None:
        return self.history.selected

    @property
    def initial(self) -> Segmentation:
        return self.seg

    @property
    def seg(self) -> Segmentation:
        """The class map of all objects (hidden ones too) as a Segmentation."""
        objs, seg = self._seg
        if objs is not self.objects:
            seg = Segmentation(self.objects.class_map(), self.objects.label_set)
            self._seg = (self.objects, seg)
        return seg

    @property
    def labels(self) -> np.ndarray:
        """``(H, W)`` uint8: the class map of all objects (the truth; hidden ones included)."""
        return self.objects.class_map()

    @property
    def shown_labels(self) -> np.ndarray:
        """``(H, W)`` uint8: the class map without the hidden objects (what the canvas draws)."""
        return self.objects.class_map(visible_only=True)

    @property
    def label_set(self):
        return self.objects.label_set

    @property
    def shape(self) -> tuple[int, int]:
        return self.objects.shape

    @property
    def run(self) -> ClickRun | None:
        note = self.history.note
        return note if isinstance(note, ClickRun) else None

    def _commit(self, objects: Objects, selected, note=None, changed: int | None = None, fold: bool = False,
                new: bool = False):
        """A new step (or, ``fold``, the current one changed)."""
        self.corner = None
        self.version += 1
        if selected is not None and objects.find(selected) is None:
            selected = None
        if changed is None:
            changed = int((objects.class_map() != self.objects.class_map()).sum())
        self.last_changed = changed
        before = self.objects
        self.clipped = 0
        self.unpolygoned = tuple(o.id for o in objects if o.polygon is None and o is not before.find(o.id)
                                 and getattr(before.find(o.id), "polygon", None) is not None)
        step = Step(objects, selected, note, new and selected is None)
        if fold:
            self.history.replace_current(step)
        else:
            self.history.push(step)
        return self.seg

    def push(self, labels: np.ndarray, note=None) -> Segmentation:
        """A whole class map (a helper's answer) as one step: :func:`apply_class_map`."""
        return self._commit(apply_class_map(self.objects, labels), self.selected, note)

    def replace(self, seg: Segmentation) -> Segmentation:
        """A whole new segmentation (segment again), as one undoable step."""
        if seg.shape != self.shape:
            raise PromptError("the new mask does not match the image's size")
        return self.push(seg.labels)

    def undo(self) -> Segmentation:
        self.corner = None
        self.unpolygoned = ()
        if self.history.can_undo:
            self.version += 1
            self.history.undo()
        return self.seg

    def redo(self) -> Segmentation:
        self.corner = None
        self.unpolygoned = ()
        if self.history.can_redo:
            self.version += 1
            self.history.redo()
        return self.seg

    # -- tools ----------------------------------------------------------------------------
    def paint(self, strokes, erase_to: int | None = None, overwrite: str | None = None, obj=None) -> bool:
        """Brush and eraser strokes, in order, as one step; True if any pixel changed. A brush
        stroke adds to the target object of its class (a new one if need be); an eraser stroke
        removes from the target, or with nothing selected from the top object at each pixel.
        ``erase_to`` does not apply to objects."""
        strokes = check_strokes(strokes)
        rule = self._rule(overwrite)
        objects, selected, changed = self.objects, self.selected, 0
        for s in strokes:
            footprint, (x0, y0) = stroke_footprint(s["points"], s["radius"], self.shape)
            if footprint is None:
                continue
            region = np.zeros(self.shape, bool)
            region[y0:y0 + footprint.shape[0], x0:x0 + footprint.shape[1]] = footprint
            cls = None if s["erase"] else self.class_index(s["cls"])
            if self._unlabels(cls):
                s, cls = dict(s, erase=True), None
            sel = objects.find(selected) if selected is not None else None
            if obj is not None:
                target = self._check_object(objects.get(obj), rule)
            elif sel is not None and (cls is None or sel.cls == cls):
                target = self._check_object(sel, rule)
            else:
                target = None
                if cls is not None:
                    rule.check_target(cls, self.label_set)
            if s["erase"]:
                if target is None:
                    objects, n = self._erase_top(objects, region, rule)
                else:
                    objects, n = self._shrink(objects, target, region)
                    selected = selected if objects.find(target.id) is not None else None
            else:
                objects, got, n = self._grow(objects, target, cls, region, rule)
                selected = got if got is not None else selected
            changed += n
        if not changed:
            self.last_changed = 0
            return False
        self._commit(objects, selected, changed=changed)
        return True

    def click(self, x, y, positive: bool, cls=None, overwrite: str | None = None, obj=None) -> Segmentation:
        """A positive (add) or negative (remove) click on the target object (module doc)."""
        rule = self._rule(overwrite)
        (click,) = check_points([(x, y, positive)], *self.shape)
        cls = None if cls is None or cls == "" else self.class_index(cls)
        target = self._target(cls, obj, rule, at=click[:2])
        if target is None and not positive:
            target = self.objects.top_at(click[0], click[1])
            if target is None:
                raise PromptError("there is no object here to remove from; select one or click on one")
            self._check_object(target, rule)
        if target is None and cls is None:
            raise PromptError("choose a class for the new object")
        cls = target.cls if target is not None else cls
        prompter = self.prompter_for(cls)
        run = self.run
        tid = None if target is None else target.id
        if run is None or run.obj != tid or run.cls != cls or run.prompter != prompter.name:
            run = ClickRun(cls, None if target is None else target.mask, prompter=prompter.name, obj=tid)
        clicks = run.clicks + (click,)
        base = run.base
        before = base.full(self.shape) if base is not None else np.zeros(self.shape, bool)
        first = len(clicks) == 1 and run.box is None
        result = prompter.predict(clicks, run.box, None if first else run.logits, multimask=first,
                                  prior=before if base is not None else None)
        # the run rebuilds the object from its mask before the run, so undo of a click and a
        # changed mind (Add, then Remove) both start from there; its labelled pixels go only to
        # a negative click, near it (click_rule)
        current = target.mask.full(self.shape) if target is not None else before
        new = run_result(before, current, result.mask, click, self.writable(tid, rule))
        mask = ObjMask.from_full(new)
        objects = self.objects
        if target is not None:
            objects = objects.remove(tid) if mask is None else objects.replace_obj(target.replace(mask=mask))
            tid = None if mask is None else tid
        elif mask is not None:
            o = Obj(objects.new_id(), int(cls), mask)
            objects, tid = objects.add(o), o.id
        changed = pixels_between(target, objects.find(tid) if tid is not None else None)
        logits = None if result.logits is None else result.logits.astype(np.float16)
        return self._commit(objects, tid if tid is not None else self.selected,
                            replace(run, clicks=clicks, logits=logits, obj=tid), changed)

    def box(self, x0, y0, x1, y1, cls=None, overwrite: str | None = None, obj=None) -> Segmentation:
        """The object inside a box joins the target object; later clicks refine it."""
        rule = self._rule(overwrite)
        cls = None if cls is None or cls == "" else self.class_index(cls)
        box = check_box((x0, y0, x1, y1), *self.shape)
        target = self._target(cls, obj, rule)
        if target is None and cls is None:
            raise PromptError("choose a class for the new object")
        cls = target.cls if target is not None else cls
        prompter = self.prompter_for(cls)
        bx0, by0, bx1, by1 = box
        inside = np.zeros(self.shape, bool)
        inside[by0:by1, bx0:bx1] = True
        prior = None
        if target is not None:
            own = target.mask.full(self.shape) & inside
            prior = own if own.any() and not own[by0:by1, bx0:bx1].all() else None
        result = prompter.predict((), box, None, multimask=True, prior=prior)
        objects, tid, n = self._grow(self.objects, target, cls, result.mask & inside, rule)
        logits = None if result.logits is None else result.logits.astype(np.float16)
        run = ClickRun(cls, None if target is None else target.mask, (), tuple(int(v) for v in box), logits,
                       prompter.name, tid)
        return self._commit(objects, tid if tid is not None else self.selected, run, n)

    def box_corner(self, x, y, cls=None, overwrite: str | None = None, obj=None) -> Segmentation | None:
        """A box drawn by two clicks: the first is remembered, the second cuts."""
        H, W = self.shape
        ((x, y, _),) = check_points([(x, y, True)], H, W)
        if self.corner is None:
            self.corner = (x, y)
            return None
        (cx, cy), self.corner = self.corner, None
        if abs(cx - x) < 2 or abs(cy - y) < 2:
            raise PromptError("the two corners of a box must differ in x and in y; click the first corner again")
        return self.box(min(cx, x), min(cy, y), max(cx, x) + 1, max(cy, y) + 1, cls, overwrite, obj)

    def wand(self, x, y, tolerance=None, cls=None, overwrite: str | None = None, obj=None) -> Segmentation | None:
        """The connected region of similar colour around ``(x, y)`` joins the target object. It
        stays within the clicked pixel's top visible object (or within the pixels no object
        covers) and does not grow through pixels the overwrite rule protects."""
        rule = self._rule(overwrite)
        tol = self.default_tolerance() if tolerance is None or tolerance == "" else check_tolerance(tolerance)
        cls = None if cls is None or cls == "" else self.class_index(cls)
        ((x, y, _),) = check_points([(x, y, True)], *self.shape)
        target = self._target(cls, obj, rule, at=(x, y))
        if target is None and cls is None:
            raise PromptError("choose a class for the new object")
        cls = target.cls if target is not None else cls
        objects = self.objects
        top = objects.top_map(visible_only=True)
        same = top == top[y, x]
        if top[y, x] < 0 and objects.base is not None:
            same &= objects.base == objects.base[y, x]
        within = same & self.writable(None if target is None else target.id, rule)
        region = magic_wand(self.rgb, x, y, tol, within=within)
        objects, tid, n = self._grow(objects, target, cls, region, rule)
        if not n:
            self.last_changed = 0
            return None
        return self._commit(objects, tid, changed=n)

    def region(self, region: np.ndarray, cls=None, overwrite: str | None = None, obj=None,
               erase: bool = False) -> Segmentation | None:
        """Any candidate region (a polygon's inside, a helper's answer) joins the target object
        (``erase``: leaves it)."""
        rule = self._rule(overwrite)
        if np.shape(region) != self.shape:
            raise PromptError("the region does not match the image's size")
        region = np.asarray(region, bool)
        cls = None if cls is None or cls == "" else self.class_index(cls)
        if self._unlabels(cls):
            erase, cls = True, None
        target = self._target(None if erase else cls, obj, rule)
        if erase:
            if target is None:
                objects, n = self._erase_top(self.objects, region, rule)
            else:
                objects, n = self._shrink(self.objects, target, region)
            tid = self.selected
        else:
            if target is None and cls is None:
                raise PromptError("choose a class for the new object")
            objects, tid, n = self._grow(self.objects, target, cls if target is None else target.cls, region, rule)
        if not n:
            self.last_changed = 0
            return None
        return self._commit(objects, tid, changed=n)
