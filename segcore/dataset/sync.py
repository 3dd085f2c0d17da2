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
from .merge import box_of, merge_labels
from .revisions import ItemLog, Version

__all__ = ["Saved", "read_item", "save_item", "changed_since", "who_made", "conflict", "before_write",
           "after_write"]


@dataclass
class Saved:
    """What a save left on disk: ``labels`` ``(H, W)`` uint8 (mine merged with theirs),
    ``digest`` (of the item on disk now), ``theirs`` (pixels another save had changed, now in
    ``labels``), ``by`` (who made those), ``version`` (the version recorded; None: nothing
    changed)."""

    labels: np.ndarray
    digest: str
    theirs: int = 0
    by: str = ""
    version: Version | None = None


def read_item(ds, i: int) -> tuple[np.ndarray | None, str]:
    """Item ``i``'s labels as on disk now (None: it has none) and their digest."""
    with ds.lock:
        ds.refresh(i)
        return ds.read_labels(i), ds.item_digest(i)


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


def save_item(ds, i: int, base: np.ndarray, mine: np.ndarray, *, user: str = "local", tool: str = "",
              status: str | Callable[[str], str] = "edited", prefer: str | None = None) -> Saved:
    """Save ``mine`` (``(H, W)`` uint8), made from ``base``, as item ``i``'s labels.

    ``status``: the item's new status, or a function of its status on disk that gives it (read
    under the lock); ``prefer``: settle clashing pixels with ``"mine"`` or ``"theirs"`` (None:
    raise :class:`ConflictError` on a clash). Changes of another save that do not clash are
    kept, and come back in ``Saved.labels``."""
    with ds.lock:
        ds.refresh(i)
        digest = ds.item_digest(i)
        disk = ds.read_labels(i)
        theirs = base if disk is None else disk
        merged = merge_labels(base, mine, theirs, prefer)
        by = who_made(ds, i, digest) if merged.theirs else ""
        if merged.clash is not None and prefer is None:
            raise conflict(ds, i, merged.clash, mine, theirs, disk, digest, user=user, tool=tool, by=by)
        current = ds.status(i)
        new_status = status(current) if callable(status) else status
        if disk is not None and np.array_equal(merged.labels, disk):
            if new_status != current:
                ds.set_status(i, new_status)
            return Saved(disk, digest, merged.theirs, by)
        v = ds.write_labels(i, merged.labels, status=new_status, by=user, tool=tool, previous=disk,
                            digest=digest)
        return Saved(merged.labels, ds.item_digest(i), merged.theirs, by, v)


def conflict(ds, i: int, clash: np.ndarray, mine: np.ndarray, theirs: np.ndarray, disk, digest: str, *,
             user: str, tool: str, by: str) -> ConflictError:
    """Keep ``mine`` as a ``conflict`` version of item ``i`` (what is on disk is kept too, if no
    version has it yet) and say what clashes (``clash``: ``(H, W)`` bool). Under the lock."""
    name = ds.names[i]
    before_write(ds, i, disk, digest)
    v = ItemLog(ds.root, name).record(mine, kind="conflict", user=user, tool=tool,
                                      pixels=int(np.count_nonzero(mine != theirs)), note="not written")
    n = int(np.count_nonzero(clash))
    x0, y0, x1, y1 = box_of(clash)
    return ConflictError(
        f"{name}: {by or 'another session'} saved {n:,} of the same pixels differently "
        f"(x {x0}-{x1 - 1}, y {y0}-{y1 - 1}) since you opened it; both versions are kept: "
        "choose Keep mine or Take theirs", item=name, by=by, pixels=n, box=(x0, y0, x1, y1), version=v.number)


# -- recording every write -----------------------------------------------------------------
def before_write(ds, i: int, disk: np.ndarray | None, digest: str) -> None:
    """Before item ``i`` is written: keep what is on disk as a version if no version has it
    yet (the original, or what another program wrote since)."""
    if disk is None:
        return
    log = ItemLog(ds.root, ds.names[i])
    last = log.last()
    if last is not None and last.digest == digest:
        return
    pixels = 0
    if last is not None:
        try:
            before = log.read(last.number)
            pixels = int(np.count_nonzero(before != disk)) if before.shape == disk.shape else int(disk.size)
        except Exception:   # noqa: BLE001 - a lost version file costs the count, not the record
            pixels = 0
    log.record(disk, kind="original" if last is None else "external", user="", pixels=pixels, digest=digest)


def after_write(ds, i: int, labels: np.ndarray, disk: np.ndarray | None, user: str, tool: str) -> Version:
    """After item ``i`` was written with ``labels``: record the version."""
    if disk is not None and disk.shape == labels.shape:
        pixels = int(np.count_nonzero(labels != disk))
    else:                           # a first labelling: the pixels given a class
        from ..edit.apply import background_index

        empty = [ds.label_set.void_index, background_index(ds.label_set)]
        pixels = int(np.count_nonzero(~np.isin(labels, [k for k in empty if k is not None])))
    return ItemLog(ds.root, ds.names[i]).record(labels, kind="saved", user=user, tool=tool, pixels=pixels,
                                               digest=ds.item_digest(i))
