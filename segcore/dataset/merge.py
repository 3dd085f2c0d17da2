"""Three-way merges of one item's labels: what a save started from (``base``), what it brings
(``mine``) and what is on disk now (``theirs``, another session's save or another program's).

Per pixel, for class maps: a pixel only one side changed takes that side's value; a pixel both
changed to the same value is no clash; a pixel both changed to different values clashes. The
merge never picks a winner silently: :func:`merge_labels` says where they clash, and the
caller either raises a conflict or applies the user's choice (``prefer="mine"`` or
``"theirs"``: that side's value on the clashing pixels, every other change of both sides kept).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import FormatError

__all__ = ["PixelMerge", "merge_labels", "box_of"]

PREFER = ("mine", "theirs")


@dataclass
class PixelMerge:
    """``labels``: ``(H, W)`` uint8, the merge (on clashing pixels: the preferred side, mine
    where none is); ``clash``: ``(H, W)`` bool where both sides changed a pixel differently,
    None where they do not; ``mine`` / ``theirs``: pixels each side changed from the base."""

    labels: np.ndarray
    clash: np.ndarray | None
    mine: int
    theirs: int

    @property
    def clashing(self) -> int:
        return 0 if self.clash is None else int(self.clash.sum())


def merge_labels(base: np.ndarray, mine: np.ndarray, theirs: np.ndarray,
                 prefer: str | None = None) -> PixelMerge:
    """Merge two edits of one ``(H, W)`` uint8 label map made from ``base``."""
    if prefer is not None and prefer not in PREFER:
        raise ValueError(f"prefer is one of {PREFER}, not {prefer!r}")
    if not base.shape == mine.shape == theirs.shape:
        raise FormatError(f"the labels on disk are {theirs.shape[1]}x{theirs.shape[0]}, this edit's "
                          f"{mine.shape[1]}x{mine.shape[0]}: they cannot be merged")
    m = mine != base
    t = theirs != base
    n_m, n_t = int(np.count_nonzero(m)), int(np.count_nonzero(t))
    if not n_t:
        return PixelMerge(mine.copy(), None, n_m, 0)
    if not n_m:
        return PixelMerge(theirs.copy(), None, 0, n_t)
    both = m & t
    clash = both & (mine != theirs)
    if prefer == "theirs":
        labels = np.where(t, theirs, mine)
    else:
        labels = np.where(m, mine, theirs)
    return PixelMerge(labels.astype(np.uint8, copy=False), clash if clash.any() else None, n_m, n_t)


def box_of(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` (end exclusive) of a ``(H, W)`` bool mask; None if empty."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not rows.size:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


# -- objects (instance datasets) ---------------------------------------------------------------
def same_obj(a, b) -> bool:
    """Whether two versions of an object hold the same class and pixels (both absent counts as
    the same). The file's own fields are carried, not compared: the format writes the class and
    geometry into them, so they differ between a session's copy and the file's after any edit."""
    if a is None or b is None:
        return a is None and b is None
    if (a.polygon is None) != (b.polygon is None):
        # a mask object is written as its pixels' exact outline, which reads back as a polygon
        # object of the same pixels: the same object, not another save's change of it
        return a.cls == b.cls and a.mask.same(b.mask)
    return a.same_content(b)


@dataclass
class ObjectMerge:
    """``objects``: the merge (an :class:`~segcore.objects.Objects`); ``clash``: ids of the
    objects both sides changed incompatibly (its class to different ones, or one deleted it
    while the other changed it); ``pixels``: ``(H, W)`` bool where objects of both sides gained
    the same pixels with different classes (None: nowhere); ``mine`` / ``theirs``: ids each
    side changed; ``renumber``: ``{id: new id}`` of new objects of mine whose id a new object of
    theirs took meanwhile. With ``prefer``, the merge holds the preferred side on both kinds of
    clash."""

    objects: object
    clash: list
    pixels: np.ndarray | None
    mine: list
    theirs: list
    renumber: dict

    @property
    def clashing(self) -> bool:
        return bool(self.clash) or self.pixels is not None


def _merged_mask(b, m, t):
    """The pixels of an object both sides changed: per pixel, the side that changed it (a
    pixel of a bool mask both changed, both changed the same way)."""
    from ..objects import ObjMask

    box = None
    for o in (b, m, t):
        if o is not None:
            box = o.box if box is None else (min(box[0], o.box[0]), min(box[1], o.box[1]),
                                             max(box[2], o.box[2]), max(box[3], o.box[3]))
    crops = [np.zeros((box[3] - box[1], box[2] - box[0]), bool) if o is None else o.mask.within(box)
             for o in (b, m, t)]
    bc, mc, tc = crops
    return ObjMask.from_crop(np.where(mc != bc, mc, tc), box[0], box[1])


def _merge_one(b, m, t):
    """``(merged object or None, clash?)`` of an object both sides changed (``b`` present)."""
    if m is None or t is None:
        return None, not (m is None and t is None)    # deleted by one, changed by the other: a clash
    cls_clash = m.cls != b.cls and t.cls != b.cls and m.cls != t.cls
    cls = m.cls if m.cls != b.cls else t.cls
    mask = _merged_mask(b, m, t)
    if mask is None:
        return None, cls_clash
    # a polygon object keeps its vertices where the merged pixels are one side's (one side
    # changed only the class); pixels merged from both make it a mask object
    for side in (m, t):
        if side.polygon is not None and mask.same(side.mask):
            return m.replace(cls=cls, mask=side.mask, polygon=side.polygon), cls_clash
    return m.replace(cls=cls, mask=mask), cls_clash


def merge_objects(base, mine, theirs, prefer: str | None = None) -> ObjectMerge:
    """Merge two edits of one image's objects made from ``base`` (all three
    :class:`~segcore.objects.Objects`), object by object: an object only one side changed
    (class or pixels; added, deleted) takes that side's version; one both changed takes, per
    pixel of its mask, the side that changed the pixel, and either side's change of class (two
    different changes of class clash, and so does a deletion against a change). New objects of
    both sides are all kept (a new one of mine whose id theirs took gets another). The draw
    order is theirs, with mine's new objects on top, unless theirs has the objects of ``base``
    in its order (then mine's: an object mine brought back, an undone delete, stays where mine
    draws it) or mine changed the order (then mine's, with theirs' new objects on top). Pixels an object of mine and another of theirs both gained with
    different classes (two people gave one region different classes) clash too."""
    if prefer is not None and prefer not in PREFER:
        raise ValueError(f"prefer is one of {PREFER}, not {prefer!r}")
    if not base.shape == mine.shape == theirs.shape:
        raise FormatError(f"the objects on disk are {theirs.shape[1]}x{theirs.shape[0]}, this edit's "
                          f"{mine.shape[1]}x{mine.shape[0]}: they cannot be merged")
    ids = mine.ids
    ids.see(*theirs.ids_list(), *base.ids_list())
    renumber = {}
    for o in mine:        # both added an object under one id: two different objects
        if base.find(o.id) is None and theirs.find(o.id) is not None and not same_obj(o, theirs.find(o.id)):
            renumber[o.id] = ids.take()
    mine = mine.renumbered(renumber)
    changed_m, changed_t, clash, result = [], [], [], {}
    for oid in dict.fromkeys([*base.ids_list(), *mine.ids_list(), *theirs.ids_list()]):
        b, m, t = base.find(oid), mine.find(oid), theirs.find(oid)
        dm, dt = not same_obj(b, m), not same_obj(b, t)
        changed_m += [oid] if dm else []
        changed_t += [oid] if dt else []
        if dm and dt and not same_obj(m, t):
            pick, clashed = _merge_one(b, m, t)
            if clashed:
                clash.append(oid)
                if prefer is not None:
                    pick = t if prefer == "theirs" else m
        else:
            pick = t if dt else m
        if pick is not None and m is not None and pick is not m:
            pick = pick.replace(hidden=m.hidden, locked=m.locked)    # the session's view of it stays
        result[oid] = pick
    # mine's order where theirs left the list as it was (an object mine brought back, an undone
    # delete, stays where mine draws it) or mine reordered it; else theirs, mine's new on top
    theirs_same = theirs.ids_list() == base.ids_list()
    first, second = (mine, theirs) if theirs_same or _reordered(base, mine) else (theirs, mine)
    order = [i for i in first.ids_list() if result.get(i) is not None]
    order += [i for i in second.ids_list() if result.get(i) is not None and i not in set(order)]
    order += [i for i, o in result.items() if o is not None and i not in set(order)]
    base_map = theirs.base
    if mine.base is not None and (base.base is None or not np.array_equal(mine.base, base.base)):
        base_map = mine.base
    merged = mine.with_items([result[i] for i in order])
    if base_map is not mine.base:
        merged = merged.with_base(base_map)
    pixels = _gain_clash(base, mine, theirs, changed_m, changed_t)
    if pixels is not None and prefer is not None:
        from ..objects import apply_class_map

        want = merged.class_map().copy()
        want[pixels] = (mine if prefer == "mine" else theirs).class_map()[pixels]
        merged = apply_class_map(merged, want)
    return ObjectMerge(merged, clash, pixels, changed_m, changed_t, renumber)


def _reordered(base, side) -> bool:
    """Whether ``side`` draws the objects it shares with ``base`` in another order."""
    common = [i for i in base.ids_list() if side.find(i) is not None]
    return [i for i in side.ids_list() if i in set(common)] != common


def _gains(base, objects, ids) -> list:
    """``(id, class, mask)`` of the pixels each of ``ids`` gained from ``base`` (all of a new one)."""
    out = []
    for oid in ids:
        o, b = objects.find(oid), base.find(oid)
        if o is None:
            continue
        m = o.mask if b is None else o.mask.minus(b.mask)
        if m is not None:
            out.append((oid, o.cls, m))
    return out


def _gain_clash(base, mine, theirs, changed_m, changed_t) -> np.ndarray | None:
    """``(H, W)`` bool where an object of mine and another of theirs both gained a pixel with
    different classes (two people gave the same pixels different classes); None: nowhere."""
    out = None
    gt = _gains(base, theirs, changed_t)
    for mid, mcls, mm in _gains(base, mine, changed_m):
        for tid, tcls, tm in gt:
            if mid == tid or mcls == tcls or not mm.overlaps(tm):
                continue
            both = mm.intersect(tm)
            if both is not None:
                out = np.zeros(mine.shape, bool) if out is None else out
                out |= both.full(mine.shape)
    return out


def changed_ids(old, new) -> list:
    """Ids of the objects that differ between two Objects (added, removed, changed)."""
    return [oid for oid in dict.fromkeys([*old.ids_list(), *new.ids_list()])
            if not same_obj(old.find(oid), new.find(oid))]


def take_changes(objects, old, new, only=None):
    """``objects`` with the changes from ``old`` to ``new`` (both Objects; ``only``: of these
    ids) applied: another session's objects come into a step of this one's history. Objects
    only ``new`` has go on top; the session's hidden / locked flags stay."""
    changes = {oid: new.find(oid) for oid in changed_ids(old, new) if only is None or oid in only}
    if not changes:
        return objects
    items = []
    for x in objects:
        if x.id in changes:
            n = changes.pop(x.id)
            if n is not None:
                items.append(n.replace(hidden=x.hidden, locked=x.locked))
        else:
            items.append(x)
    items += [n for oid, n in changes.items() if n is not None and objects.find(oid) is None]
    return objects.with_items(items)
