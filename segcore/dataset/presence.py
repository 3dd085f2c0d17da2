"""Who has which item open, across sessions and server processes.

Each session keeps one small file in the dataset's ``.segcore/presence/`` (``<session>.json``:
the item, the user, when it was last seen there), rewritten when it opens another item and at
least every :data:`HEARTBEAT` seconds while it works. A file not refreshed for :data:`TTL`
seconds counts as gone (a closed tab, a killed server) and is removed later by any reader.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from ..fileio import write_text

__all__ = ["Presence", "TTL", "HEARTBEAT"]

#: A session not seen for this many seconds is no longer there.
TTL = 45.0
#: How often a session that keeps working says it is still there.
HEARTBEAT = 10.0


class Presence:
    """One session's presence on the dataset at ``root``. ``user``: its name (``local``
    without accounts)."""

    def __init__(self, root: Path, user: str = "local", session: str | None = None):
        self.folder = Path(root) / ".segcore" / "presence"
        self.user = user
        self.session = session or secrets.token_hex(8)
        self._item: str | None = None
        self._written = 0.0
        self._seen: tuple[float, dict] = (0.0, {})

    @property
    def _file(self) -> Path:
        return self.folder / f"{self.session}.json"

    def here(self, item: str | None) -> None:
        """This session has ``item`` open (None: none). Cheap when nothing is due."""
        now = time.time()
        if item == self._item and now - self._written < HEARTBEAT:
            return
        self._item, self._written = item, now
        try:
            if item is None:
                self._file.unlink(missing_ok=True)
            else:
                write_text(self._file, json.dumps({"item": item, "user": self.user, "time": now,
                                                   "pid": os.getpid()}), keep_backup=False)
        except OSError:
            pass   # a read-only dataset: presence is a courtesy, never a reason to fail an edit

    def leave(self) -> None:
        self.here(None)

    def others(self, max_age: float = 1.0) -> dict[str, list[str]]:
        """``{item: [user, ...]}`` of the other sessions (read at most every ``max_age`` s)."""
        now = time.time()
        if now - self._seen[0] < max_age:
            return self._seen[1]
        out: dict[str, list[str]] = {}
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            entries = []
        for e in entries:
            if not e.name.endswith(".json") or e.name == self._file.name:
                continue
            try:
                rec = json.loads(Path(e.path).read_text(encoding="utf-8"))
                age = now - float(rec["time"])
                item, user = str(rec["item"]), str(rec.get("user") or "local")
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if age > TTL:
                if age > 10 * TTL:
                    Path(e.path).unlink(missing_ok=True)
                continue
            out.setdefault(item, [])
            if user not in out[item]:
                out[item].append(user)
        self._seen = (now, out)
        return out
