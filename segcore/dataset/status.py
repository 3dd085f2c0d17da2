"""Item statuses, kept in one small JSON file in the dataset folder, written atomically.

``unlabelled`` -> ``predicted`` (a model wrote the labels) -> ``edited`` (a person changed them)
-> ``reviewed`` (a person checked them). Where no record exists, the status follows from the
files: labels present means ``edited``, none means ``unlabelled``.

Beside the statuses the file keeps what pre-labelling learnt of an item (``"info"``: the model
that wrote it and its confidence, the mean probability of the winning class over the pixels),
so the least sure items can be reviewed first. Readers of the first version ignore it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ..errors import FormatError
from ..fileio import write_text

__all__ = ["STATUSES", "LABELLED", "StatusStore", "check_status"]

STATUSES = ("unlabelled", "predicted", "edited", "reviewed")
#: Statuses that mean the item has labels.
LABELLED = ("predicted", "edited", "reviewed")
#: Seconds a read trusts what it read of the file before looking at it again.
RECHECK = 1.0


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise FormatError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")
    return status


class StatusStore:
    """``{item name: status}`` backed by ``path`` (``{"version": 1, "items": {...},
    "info": {name: {"model": str, "confidence": float}}}``).

    Several processes may share the file: a change is made under the dataset's lock on what
    the file holds then (:meth:`reload` first), and reads notice another process's write
    within :data:`RECHECK` seconds."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._items: dict[str, str] = {}
        self._info: dict[str, dict] = {}
        self._stamp = None
        self._checked = 0.0
        self._load()

    def _file_stamp(self):
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _load(self) -> None:
        self._stamp, self._checked = self._file_stamp(), time.monotonic()
        self._items, self._info = {}, {}
        if self._stamp is None:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            items = data["items"]
            self._items = {str(k): v for k, v in items.items() if v in STATUSES}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            # A damaged status file costs the records, never the labels: statuses then
            # follow from the files, and the next write replaces it.
            self._items = {}
            data = {}
        info = data.get("info") if isinstance(data, dict) else None
        if isinstance(info, dict):
            self._info = {str(k): _clean_info(v) for k, v in info.items() if isinstance(v, dict)}

    def reload(self) -> None:
        """Read the file again if another process changed it."""
        if self._file_stamp() != self._stamp:
            self._load()
        self._checked = time.monotonic()

    def _fresh(self) -> None:
        if time.monotonic() - self._checked > RECHECK:
            self.reload()

    def get(self, name: str) -> str | None:
        self._fresh()
        return self._items.get(name)

    def set(self, name: str, status: str) -> None:
        self.reload()
        if self._items.get(name) == check_status(status):
            return
        self._items[name] = status
        self.flush()

    def info(self, name: str) -> dict:
        """What pre-labelling recorded of item ``name`` (``model``, ``confidence``); {} if nothing."""
        self._fresh()
        return dict(self._info.get(name, {}))

    def set_info(self, name: str, **fields) -> None:
        """Record ``fields`` (``model``, ``confidence``, ``order``) of item ``name``; None removes one."""
        self.reload()
        rec = dict(self._info.get(name, {}))
        rec.update(fields)
        rec = _clean_info({k: v for k, v in rec.items() if v is not None})
        if rec == self._info.get(name, {}):
            return
        if rec:
            self._info[name] = rec
        else:
            self._info.pop(name, None)
        self.flush()

    def flush(self) -> None:
        obj = {"version": 1, "items": self._items}
        if self._info:
            obj["info"] = self._info
        write_text(self.path, json.dumps(obj, indent=0, sort_keys=True), keep_backup=False)
        self._stamp = self._file_stamp()


def _clean_info(rec: dict) -> dict:
    """Only the known fields, of the right types (a hand-edited file cannot break sorting).
    ``order``: an instance item's draw order as segcore saved it (object ids, bottom first)."""
    out = {}
    order = rec.get("order")
    if isinstance(order, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in order):
        out["order"] = list(order)
    if isinstance(rec.get("model"), str):
        out["model"] = rec["model"]
    c = rec.get("confidence")
    if isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 1:
        out["confidence"] = float(c)
    return out
