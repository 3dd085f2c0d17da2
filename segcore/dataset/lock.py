"""One lock per dataset that holds across threads and processes: ``<root>/.segcore/lock``.

Every save of an item reads what is on disk, merges and writes under it (:mod:`.sync`), so two
servers on one folder (or a server and ``segcore prelabel``) never interleave a read and a
write of one file. The file lock is ``filelock``'s (``flock`` on POSIX, ``msvcrt`` on
Windows); a threading lock in front of it makes the pair re-entrant within a process.
"""

from __future__ import annotations

import threading
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import FormatError

__all__ = ["DatasetLock", "lock_path"]

#: Seconds a save waits for another process's save before giving up with a message.
TIMEOUT = 30.0


def lock_path(root: Path) -> Path:
    return Path(root) / ".segcore" / "lock"


class DatasetLock:
    """``with lock:`` holds the dataset against every other thread and process. Re-entrant."""

    def __init__(self, root: Path, timeout: float = TIMEOUT):
        self.path = lock_path(root)
        self.timeout = timeout
        self._thread = threading.RLock()
        self._file: FileLock | None = None
        self._depth = 0

    def __enter__(self) -> "DatasetLock":
        self._thread.acquire()
        try:
            if self._depth == 0:
                if self._file is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._file = FileLock(self.path, thread_local=False)
                try:
                    self._file.acquire(timeout=self.timeout)
                except Timeout:
                    raise FormatError(f"the dataset is busy: another program has held {self.path} for "
                                      f"{self.timeout:.0f} s; try again, or end that program") from None
            self._depth += 1
        except BaseException:
            self._thread.release()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._file is not None:
                self._file.release()
        finally:
            self._thread.release()
