"""Which object a tool of an :class:`~segcore.edit.ObjectSession` acts on, and where it may
add pixels: the overwrite rule per object and per class (see :mod:`.object_session`)."""

from __future__ import annotations

import numpy as np

from ..errors import PromptError
from ..objects import Obj, ObjMask, Objects
from ..objects.mask import union_box
from .apply import ApplyRule

__all__ = ["ObjectRules", "pixels_between"]


def pixels_between(a: Obj | None, b: Obj | None) -> int:
    """How many pixels differ between two versions of an object (None: no object)."""
    if a is None and b is None:
        return 0
    if a is None or b is None:
        return (a or b).area
    if a.mask is b.mask:
        return 0
    box = union_box(a.box, b.box)
    return int((a.mask.within(box) != b.mask.within(box)).sum())


class ObjectRules:
    """Mixed into :class:`~segcore.edit.ObjectSession` (``objects``, ``selected``, ``history``,
    ``label_set``)."""

    # -- which object, and where it may grow ------------------------------------------------
    def _locked(self, o: Obj, rule: ApplyRule) -> bool:
        return rule.overwrite != "any" and (o.locked or o.cls in rule.locked)

    def _check_object(self, o: Obj, rule: ApplyRule) -> Obj:
        if self._locked(o, rule):
            what = "it" if o.locked else "its class"
            raise PromptError(f"object {o.id} ({self.objects.name_of(o)}) is locked; unlock {what} in the "
                              f"{'object' if o.locked else 'class'} list to edit it")
        return o

    def _target(self, cls: int | None, obj, rule: ApplyRule, at=None) -> Obj | None:
        """The object a tool acts on (module doc); None: a new object of ``cls``. ``at``: the
        pixel a click is on (a click on an object of its class acts on that object)."""
        if obj is None and self._unlabels(cls):
            raise PromptError(f"{'unlabelled' if cls == self.label_set.void_index else 'background'} is no "
                              "object in this dataset; to take pixels away use the eraser or Remove")
        if obj is not None:
            return self._check_object(self.objects.get(obj), rule)
        sel = self.objects.find(self.selected) if self.selected is not None else None
        if sel is not None and (cls is None or sel.cls == cls):
            return self._check_object(sel, rule)
        if at is not None and sel is None and not self.history.new:
            top = self.objects.top_at(*at)
            if top is not None and top.cls == cls:
                return self._check_object(top, rule)
        if cls is not None:
            rule.check_target(cls, self.label_set)
        return None

    def writable(self, target: int | None, rule: ApplyRule, objects: Objects | None = None) -> np.ndarray:
        """``(H, W)`` bool: where a tool may add pixels to ``target`` (None: a new object)."""
        objects = objects or self.objects
        ok = np.ones(objects.shape, bool)
        if rule.overwrite == "any":
            return ok
        bg = objects.label_set.background
        for o in objects:
            if o.id == target:
                continue
            if o.locked or o.cls in rule.locked or (rule.overwrite == "unlabelled" and o.cls != bg):
                ok[o.mask.slices] &= ~o.mask.crop
        if rule.overwrite == "unlabelled" and objects.base is not None:
            ls = objects.label_set
            ok &= np.isin(objects.base, [ls.void_index] + ([] if bg is None else [bg]))
        return ok

    def _grow(self, objects: Objects, target: Obj | None, cls: int, region: np.ndarray,
              rule: ApplyRule) -> tuple[Objects, int | None, int]:
        """``region`` (``(H, W)`` bool) added to ``target`` (or a new object of ``cls``) where
        the rule allows: ``(objects, the object's id, pixels added)``."""
        region = np.asarray(region, bool) & self.writable(None if target is None else target.id, rule, objects)
        if target is None:
            mask = ObjMask.from_full(region)
            if mask is None:
                return objects, None, 0
            new = Obj(objects.new_id(), int(cls), mask)
            return objects.add(new), new.id, mask.area
        mask = target.mask.union(region)
        if mask is target.mask:
            return objects, target.id, 0
        return objects.replace_obj(target.replace(mask=mask)), target.id, mask.area - target.area

    @staticmethod
    def _shrink(objects: Objects, target: Obj, region) -> tuple[Objects, int]:
        """``region`` taken from ``target`` alone (the object goes when nothing is left)."""
        mask = target.mask.minus(region)
        if mask is target.mask:
            return objects, 0
        if mask is None:
            return objects.remove(target.id), target.area
        return objects.replace_obj(target.replace(mask=mask)), target.area - mask.area

    def _erase_top(self, objects: Objects, region: np.ndarray, rule: ApplyRule) -> tuple[Objects, int]:
        """Nothing selected: the eraser takes each pixel from the top visible object there."""
        top = objects.top_map(visible_only=True)
        first, changed = objects, 0
        for k in np.unique(top[region & (top >= 0)]).tolist():
            o = first.items[k]
            if not self._locked(o, rule):
                objects, n = self._shrink(objects, objects.get(o.id), region & (top == k))
                changed += n
        return objects, changed

    def _unlabels(self, cls: int | None) -> bool:
        """Whether painting class ``cls`` means erasing here (module doc)."""
        ls = self.label_set
        return cls is not None and not self.objects.keeps_void and cls in (ls.void_index, ls.background)
