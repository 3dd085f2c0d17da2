"""Saving one item when others may save it too: no edit is lost to another session, server or
program.

A session opens an item (:func:`read_item`: its labels and their digest, a hash of what is on
disk) and later saves what it made from them (:func:`save_item`). The save runs under the
dataset's lock (:mod:`.lock`, across processes): it reads the item afresh, and if another save
came in between, merges the two per pixel (:mod:`.merge`). Where both changed the same pixels
differently nothing is written and :class:`~segcore.errors.ConflictError` says what clashed;
the session's version is kept in the item's history (:mod:`.revisions`), theirs stays on disk,
and a second save with ``prefer="mine"`` or ``"theirs"`` settles it.

Every write of labels (this one, a model's pre-labelling, the CLI) records a version: who,
when, with what, how many pixels changed (:func:`before_write`, :func:`after_write`, called
by :meth:`Dataset.write_labels`); a label file another program changed is recorded as an
``external`` version when segcore next writes the item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import ConflictError
from ..objects import Objects
from .merge import box_of, merge_labels, merge_objects, same_obj
from .revisions import ItemLog, Version

__all__ = ["Saved", "read_item", "save_item", "changed_since", "who_made", "conflict", "before_write",
           "after_write"]


@dataclass
class Saved:
    """What a save left on disk: ``labels`` (mine merged with theirs: an ``(H, W)`` uint8
    class map, or the item's :class:`~segcore.objects.Objects`), ``digest`` (of the item on
    disk now), ``theirs`` (pixels, or objects, another save had changed, now in ``labels``),
    ``by`` (who made those), ``version`` (the version recorded; None: nothing changed),
    ``renumber`` (``{id: id on disk}`` of new objects of mine written under another id)."""

    labels: np.ndarray | Objects
    digest: str
    theirs: int = 0
    by: str = ""
    version: Version | None = None
    renumber: dict | None = None


def read_item(ds, i: int) -> tuple[np.ndarray | Objects | None, str]:
    """Item ``i`` as on disk now: its objects (instance datasets), else its class map (None: it
    has no labels), and their digest."""
    with ds.lock:
        ds.refresh(i)
        state = ds.read_objects(i) if ds.has_objects else ds.read_labels(i)
        return state, ds.item_digest(i)


def changed_since(ds, i: int, digest: str, stamp=None) -> tuple[bool, object]:
    """Whether item ``i`` on disk is no longer the one of ``digest``; ``stamp``: the files'
    stamp when that was checked (a cheap ``stat``: the digest is computed only if it moved).
    Returns ``(changed, stamp now)``."""
    now = ds.item_stamp(i)
    if stamp is not None and now == stamp:
        return False, now
    with ds.lock:
        ds.refresh(i)
        return ds.item_digest(i) != digest, ds.item_stamp(i)


def who_made(ds, i: int, digest: str) -> str:
    """Who saved the version of item ``i`` whose digest this is ("another program" where
    segcore did not write it)."""
    for v in reversed(ItemLog(ds.root, ds.names[i]).versions()):
        if v.digest == digest and v.kind in ("saved", "original"):
            return v.who
    return "another program"


def save_item(ds, i: int, base, mine, *, user: str = "local", tool: str = "",
              status: str | Callable[[str], str] = "edited", prefer: str | None = None) -> Saved:
    """Save ``mine``, made from ``base``, as item ``i``'s labels: both ``(H, W)`` uint8 class
    maps (merged per pixel), or both :class:`~segcore.objects.Objects` (merged per object).

    ``status``: the item's new status, or a function of its status on disk that gives it (read
    under the lock); ``prefer``: settle clashing pixels (objects) with ``"mine"`` or ``"theirs"``
    (None: raise :class:`ConflictError` on a clash). Changes of another save that do not clash
    are kept, and come back in ``Saved.labels``."""
    with ds.lock:
        ds.refresh(i)
        digest = ds.item_digest(i)
        if isinstance(mine, Objects):
            return _save_objects(ds, i, base, mine, digest, user, tool, status, prefer)
        disk = ds.read_labels(i)
        theirs = base if disk is None else disk
        merged = merge_labels(base, mine, theirs, prefer)
        by = who_made(ds, i, digest) if merged.theirs else ""
        if merged.clash is not None and prefer is None:
            raise conflict(ds, i, merged.clash, mine, theirs, disk, digest, user=user, tool=tool, by=by)
        current = ds.status(i)
        new_status = status(current) if callable(status) else status
        if disk is not None and np.array_equal(merged.labels, disk):
            # nothing to write; the status follows only an edit of this session's own
            if new_status != current and not np.array_equal(mine, base):
                ds.set_status(i, new_status)
            return Saved(disk, digest, merged.theirs, by)
        v = ds.write_labels(i, merged.labels, status=new_status, by=user, tool=tool, previous=disk,
                            digest=digest)
        return Saved(merged.labels, ds.item_digest(i), merged.theirs, by, v)


def _save_objects(ds, i, base: Objects, mine: Objects, digest: str, user, tool, status, prefer) -> Saved:
    """:func:`save_item` of objects (under the lock)."""
    theirs = ds.read_objects(i)
    merged = merge_objects(base, mine, theirs, prefer)
    by = who_made(ds, i, digest) if merged.theirs else ""
    disk = theirs.class_map() if digest else None
    if merged.clashing and prefer is None:
        raise conflict(ds, i, merged.pixels, mine.class_map(), theirs.class_map(), disk, digest, user=user,
                       tool=tool, by=by, objects=[(oid, mine.find(oid), theirs.find(oid)) for oid in merged.clash])
    current = ds.status(i)
    new_status = status(current) if callable(status) else status
    out = merged.objects
    if digest and _same_objects(out, theirs):
        # nothing to write (a selection, a hidden or locked object); the status follows only an
        # edit of this session's own
        if new_status != current and not _same_objects(mine, base):
            ds.set_status(i, new_status)
        return Saved(theirs, digest, len(merged.theirs), by, None, merged.renumber)
    before_write(ds, i, disk, digest)
    mapping = ds.write_objects(i, out, status=new_status)
    written = out.renumbered(mapping)
    v = after_write(ds, i, written.class_map(), disk, user, tool, objects=len(merged.mine))
    given = set(merged.renumber.values())
    renumber = {a: b for a, b in mapping.items() if a not in given}
    for old, new in merged.renumber.items():            # the merge's new id, moved again by the write
        renumber[old] = mapping.get(new, new)
    return Saved(written, ds.item_digest(i), len(merged.theirs), by, v, renumber)


def _same_objects(a: Objects, b: Objects) -> bool:
    return a.ids_list() == b.ids_list() and all(same_obj(x, b.find(x.id)) for x in a) and \
        (a.base is b.base or (a.base is not None and b.base is not None and np.array_equal(a.base, b.base)))


def conflict(ds, i: int, clash: np.ndarray | None, mine: np.ndarray, theirs: np.ndarray, disk, digest: str, *,
             user: str, tool: str, by: str, objects=()) -> ConflictError:
    """Keep ``mine`` (a class map) as a ``conflict`` version of item ``i`` (what is on disk is
    kept too, if no version has it yet) and say what clashes: pixels (``clash``: ``(H, W)``
    bool) or objects (``objects``: ``(id, mine, theirs)``). Under the lock."""
    name = ds.names[i]
    before_write(ds, i, disk, digest)
    v = ItemLog(ds.root, name).record(mine, kind="conflict", user=user, tool=tool,
                                      pixels=int(np.count_nonzero(mine != theirs)), objects=len(objects) or None,
                                      note="not written")
    who = by or "another session"
    if objects and clash is None:
        ls = ds.label_set
        said = [f"{oid} ({ls.names[o.cls] if o.cls < len(ls) else 'void'})"
                for oid, m, t in objects for o in [t or m]]
        box = None
        for _, m, t in objects:
            for o in (m, t):
                if o is not None:
                    x0, y0, x1, y1 = o.box
                    box = (x0, y0, x1, y1) if box is None else (min(box[0], x0), min(box[1], y0),
                                                                 max(box[2], x1), max(box[3], y1))
        return ConflictError(
            f"{name}: {who} changed object{'s' if len(said) > 1 else ''} {', '.join(said[:5])}"
            f"{' and more' if len(said) > 5 else ''} differently since you opened it; both versions are kept: "
            "choose Keep mine or Take theirs", item=name, by=by, objects=[o[0] for o in objects], box=box,
            version=v.number)
    n = int(np.count_nonzero(clash))
    x0, y0, x1, y1 = box_of(clash)
    return ConflictError(
        f"{name}: {who} saved {n:,} of the same pixels differently "
        f"(x {x0}-{x1 - 1}, y {y0}-{y1 - 1}) since you opened it; both versions are kept: "
        "choose Keep mine or Take theirs", item=name, by=by, pixels=n, box=(x0, y0, x1, y1),
        objects=[o[0] for o in objects], version=v.number)


# -- recording every write -----------------------------------------------------------------
def before_write(ds, i: int, disk: np.ndarray | None, digest: str) -> None:
    """Before item ``i`` is written: keep what is on disk as a version if no version has it
    yet (the original, or what another program wrote since)."""
    if disk is None:
        return
    log = ItemLog(ds.root, ds.names[i])
    written = [v for v in log.versions() if v.kind != "conflict"]      # what was on disk at some time
    last = written[-1] if written else None
    if last is not None and last.digest == digest:
        return
    pixels = 0
    if last is not None:
        try:
            before = log.read(last.number)
            pixels = int(np.count_nonzero(before != disk)) if before.shape == disk.shape else int(disk.size)
        except Exception:   # noqa: BLE001 - a lost version file costs the count, not the record
            pixels = 0
    log.record(disk, kind="original" if not log.versions() else "external", user="", pixels=pixels, digest=digest)


def after_write(ds, i: int, labels: np.ndarray, disk: np.ndarray | None, user: str, tool: str,
                objects: int | None = None) -> Version:
    """After item ``i`` was written with ``labels`` (``(H, W)`` uint8): record the version
    (``objects``: how many objects it changed, where counted)."""
    if disk is not None and disk.shape == labels.shape:
        pixels = int(np.count_nonzero(labels != disk))
    else:                           # a first labelling: the pixels given a class
        from ..edit.apply import background_index

        empty = [ds.label_set.void_index, background_index(ds.label_set)]
        pixels = int(np.count_nonzero(~np.isin(labels, [k for k in empty if k is not None])))
    return ItemLog(ds.root, ds.names[i]).record(labels, kind="saved", user=user, tool=tool, pixels=pixels,
                                               digest=ds.item_digest(i), objects=objects)
