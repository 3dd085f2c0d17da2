"""Item statuses, kept in one small JSON file in the dataset folder, written atomically.

``unlabelled`` -> ``predicted`` (a model wrote the labels) -> ``edited`` (a person changed them)
-> ``reviewed`` (a person checked them). Where no record exists, the status follows from the
files: labels present means ``edited``, none means ``unlabelled``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import FormatError
from ..fileio import write_text

__all__ = ["STATUSES", "LABELLED", "StatusStore", "check_status"]

STATUSES = ("unlabelled", "predicted", "edited", "reviewed")
#: Statuses that mean the item has labels.
LABELLED = ("predicted", "edited", "reviewed")


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise FormatError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")
    return status


class StatusStore:
    """``{item name: status}`` backed by ``path`` (``{"version": 1, "items": {...}}``)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._items: dict[str, str] = {}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                items = data["items"]
                self._items = {str(k): v for k, v in items.items() if v in STATUSES}
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                # A damaged status file costs the records, never the labels: statuses then
                # follow from the files, and the next write replaces it.
                self._items = {}

    def get(self, name: str) -> str | None:
        return self._items.get(name)

    def set(self, name: str, status: str) -> None:
        if self._items.get(name) == check_status(status):
            return
        self._items[name] = status
        self.flush()

    def flush(self) -> None:
        text = json.dumps({"version": 1, "items": self._items}, indent=0, sort_keys=True)
        write_text(self.path, text, keep_backup=False)
