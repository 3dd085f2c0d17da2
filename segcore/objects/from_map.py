"""Class maps into objects: a model's prediction, a helper's answer, ``write_labels``.

A whole class map (``(H, W)`` uint8) meets an image's objects by the rule the write-back has
always used, now on objects: only the pixels where the new map differs from the one the objects
draw matter, and

* an object loses its changed pixels whose new class is another one (every object covering the
  pixel, not only the top one, so the new class shows);
* changed pixels of a class that touch an object of that class (8-neighbours) join it (the one
  sharing the longest border; the lowest in draw order on a tie);
* changed pixels of a class that touch none become new objects on top, one per 8-connected
  region, except background (uncovered pixels show it anyway) and void (unless the format keeps
  void regions as objects, labelme's ``__ignore__`` shapes); background objects never grow.

Objects with no changed pixel stay the same :class:`Obj` (so a write-back leaves them byte for
byte as they were). The work is done inside the box of the changed pixels grown by one pixel.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import FormatError
from ..labels import LabelSet
from .mask import Box, ObjMask
from .obj import IdSource, Obj
from .objects import Objects

__all__ = ["apply_class_map", "objects_from_class_map", "changed_box", "replace_within"]


def changed_box(old: np.ndarray, new: np.ndarray) -> Box | None:
    """The box ``(x0, y0, x1, y1)`` of the pixels where two maps differ, grown by one pixel
    (so objects touching the change are seen); None if nothing changed."""
    changed = old != new
    rows = np.flatnonzero(changed.any(1))
    if not rows.size:
        return None
    cols = np.flatnonzero(changed[rows[0]:rows[-1] + 1].any(0))
    h, w = old.shape
    return (max(0, int(cols[0]) - 1), max(0, int(rows[0]) - 1),
            min(w, int(cols[-1]) + 2), min(h, int(rows[-1]) + 2))


def replace_within(mask: ObjMask | None, box: Box, crop: np.ndarray) -> ObjMask | None:
    """``mask`` with its pixels inside ``box`` replaced by ``crop`` (``(y1 - y0, x1 - x0)`` bool)."""
    x0, y0, x1, y1 = box
    if mask is None:
        return ObjMask.from_crop(crop, x0, y0)
    mx0, my0, mx1, my1 = mask.box
    ub = (min(mx0, x0), min(my0, y0), max(mx1, x1), max(my1, y1))
    out = mask.within(ub)
    out[y0 - ub[1]:y1 - ub[1], x0 - ub[0]:x1 - ub[0]] = crop
    return ObjMask.from_crop(out, ub[0], ub[1])


def _policy(objects: Objects) -> tuple[set, set]:
    ls = objects.label_set
    bg = ls.background
    no_new = {ls.unlabelled} | ({bg} if bg is not None else set())
    if not objects.keeps_void:
        no_new.add(ls.void_index)
    return no_new, ({bg} if bg is not None else set())


def apply_class_map(objects: Objects, labels: np.ndarray) -> Objects:
    """The objects after the class map became ``labels`` (module doc); ``objects`` itself if
    nothing changed."""
    labels = np.asarray(labels)
    if labels.shape != objects.shape:
        raise FormatError(f"a class map of {labels.shape[1]}x{labels.shape[0]} does not fit objects of "
                          f"{objects.shape[1]}x{objects.shape[0]}")
    labels = labels.astype(np.uint8, copy=False)
    old = objects.class_map()
    box = changed_box(old, labels)
    if box is None:
        return objects
    x0, y0, x1, y1 = box
    old_c, new_c = old[y0:y1, x0:x1], labels[y0:y1, x0:x1]
    ch = old_c != new_c
    no_new, no_grow = _policy(objects)

    near = [o for o in objects.items if o.mask.meets(box)]
    current = {o.id: o.mask.within(box) for o in near}
    updated: set[int] = set()
    for o in near:
        lost = current[o.id] & ch & (new_c != o.cls)
        if lost.any():
            current[o.id] = current[o.id] & ~lost
            updated.add(o.id)
    added: list[tuple[int, np.ndarray]] = []
    kernel = np.ones((3, 3), np.uint8)
    for c in np.unique(new_c[ch]).tolist():
        gained = (ch & (new_c == c)).astype(np.uint8)
        n, comp = cv2.connectedComponents(gained, connectivity=8)
        mine = [o.id for o in near if o.cls == c] if c not in no_grow else []
        for j in range(1, n):
            region = comp == j
            if mine:
                ring = cv2.dilate(region.astype(np.uint8), kernel).astype(bool)
                best = max((int((ring & current[k]).sum()), -i, k) for i, k in enumerate(mine))
                if best[0] > 0:
                    k = best[2]
                    if (region & ~current[k]).any():
                        current[k] = current[k] | region
                        updated.add(k)
                    continue
            if c not in no_new:
                added.append((c, region))

    items = []
    for o in objects.items:
        if o.id not in updated:
            items.append(o)
            continue
        m = replace_within(o.mask, box, current[o.id])
        if m is not None:
            items.append(o.replace(mask=m))
    for c, region in added:
        items.append(Obj(objects.new_id(), int(c), ObjMask.from_crop(region, x0, y0)))

    base = None
    if objects.base is not None:
        base = objects.base.copy()
        stuff = np.isin(new_c, sorted(no_new)) & ch
        crop = base[y0:y1, x0:x1]
        crop[ch] = objects.label_set.unlabelled
        crop[stuff] = new_c[stuff]
    return objects._derive(tuple(items), box, base=base)


def objects_from_class_map(labels: np.ndarray, label_set: LabelSet, ids: IdSource | None = None,
                           keeps_void: bool = False) -> Objects:
    """Objects of a class map: one per 8-connected region of each class (background aside, and
    void unless ``keeps_void``)."""
    empty = Objects(np.shape(labels), label_set, (), None, ids, keeps_void)
    return apply_class_map(empty, labels)
