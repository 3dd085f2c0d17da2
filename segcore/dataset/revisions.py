"""Every saved version of every item: who made it, when, with what, and its labels, kept within
a size budget.

Layout, in the dataset's ``.segcore/versions/<item key>/``: ``log.jsonl`` (one line per
version, oldest first) and ``<number>.png`` (the item's class map as that version had it,
greyscale, pixel-exact; 255 void). A version's ``kind``:

* ``original``: what the item held before segcore first wrote it (by nobody known);
* ``saved``: a save through segcore (``user``: an account name, or ``local``; ``tool``: what
  made the change: ``brush``, ``click``, ``model deeplabv3``, ``restore 3``, ...);
* ``external``: what another program wrote, noticed when segcore next read or wrote the item;
* ``conflict``: a save that was not written because another save changed the same pixels
  (kept, so both versions exist until the user chooses).

Versions are numbered per item from 1, and a number is never reused. The history's size is
kept within a budget (``budget_mb``: ``.segcore/settings.json`` ``{"history_mb": N}``,
default :data:`DEFAULT_MB`): past it, the oldest versions go first, except each item's first
and its newest :data:`KEEP_NEWEST`. Callers hold the dataset's lock (:mod:`.lock`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import FormatError
from ..fileio import write_text, write_with

__all__ = ["Version", "ItemLog", "budget_mb", "set_budget_mb", "usage", "prune", "DEFAULT_MB", "KINDS"]

#: The history budget of a dataset that sets none, in megabytes.
DEFAULT_MB = 256
#: Versions of each item never pruned, besides its first.
KEEP_NEWEST = 3
KINDS = ("original", "saved", "external", "conflict")


def history_dir(root: Path) -> Path:
    return Path(root) / ".segcore" / "versions" / "items"


def item_key(name: str) -> str:
    """A folder name for item ``name`` (any characters, any length): readable and unique."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:60]
    return f"{safe}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:10]}"


@dataclass(frozen=True)
class Version:
    """One kept version of an item. ``time``: seconds since the epoch; ``pixels``: pixels it
    changed from the version on disk before it; ``objects``: objects it changed (instance
    datasets; None where not counted)."""

    number: int
    time: float
    user: str
    tool: str
    kind: str
    pixels: int
    digest: str
    file: str
    bytes: int
    objects: int | None = None
    note: str = ""

    @property
    def when(self) -> str:
        """Local time, to the second."""
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.time))

    @property
    def who(self) -> str:
        if self.kind == "original":
            return "(before segcore)"
        if self.kind == "external":
            return "another program"
        return self.user or "local"


class ItemLog:
    """The kept versions of one item of the dataset at ``root``."""

    def __init__(self, root: Path, name: str):
        self.root = Path(root)
        self.name = name
        self.folder = history_dir(self.root) / item_key(name)

    @property
    def _log(self) -> Path:
        return self.folder / "log.jsonl"

    def versions(self) -> list[Version]:
        """Oldest first; a damaged line is skipped (the rest stay readable)."""
        try:
            lines = self._log.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                rec = json.loads(line)
                out.append(Version(**{k: rec[k] for k in Version.__dataclass_fields__ if k in rec}))
            except (ValueError, TypeError, KeyError):
                continue
        return out

    def last(self) -> Version | None:
        vs = self.versions()
        return vs[-1] if vs else None

    def get(self, number: int) -> Version:
        for v in self.versions():
            if v.number == int(number):
                return v
        have = [v.number for v in self.versions()]
        raise FormatError(f"{self.name} has no version {number}" +
                          (f"; its versions are {_ranges(have)}" if have else "; it has no saved versions yet"))

    def read(self, number: int) -> np.ndarray:
        """``(H, W)`` uint8: the class map of version ``number``."""
        v = self.get(number)
        try:
            with Image.open(self.folder / v.file) as im:
                return np.asarray(im, dtype=np.uint8).copy()
        except OSError:
            raise FormatError(f"version {number} of {self.name} is no longer readable "
                              f"({self.folder / v.file})") from None

    def record(self, labels: np.ndarray, *, kind: str, user: str = "local", tool: str = "", pixels: int = 0,
               digest: str = "", objects: int | None = None, note: str = "") -> Version:
        """Keep ``labels`` (``(H, W)`` uint8) as the next version; returns it."""
        if kind not in KINDS:
            raise ValueError(f"kind is one of {KINDS}")
        last = self.last()
        number = 1 if last is None else last.number + 1
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{number:06d}.png"
        labels = np.ascontiguousarray(labels, dtype=np.uint8)
        write_with(self.folder / name, lambda p: Image.fromarray(labels, mode="L").save(p, format="PNG",
                                                                                        compress_level=6),
                   keep_backup=False)
        size = (self.folder / name).stat().st_size
        v = Version(number, time.time(), str(user or "local"), str(tool or ""), kind, int(pixels), digest, name,
                    size, objects, note)
        with open(self._log, "a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(v), sort_keys=True) + "\n")
        _add_usage(self.root, size)
        limit = budget_mb(self.root) * 1_000_000
        if usage(self.root) > limit:
            prune(self.root, limit)
        return v

    def _rewrite(self, keep: list[Version]) -> None:
        write_text(self._log, "".join(json.dumps(asdict(v), sort_keys=True) + "\n" for v in keep),
                   keep_backup=False)


def _ranges(numbers: list[int]) -> str:
    return f"{numbers[0]}-{numbers[-1]}" if len(numbers) > 2 else ", ".join(map(str, numbers))


# -- the budget --------------------------------------------------------------------------------
def _settings(root: Path) -> Path:
    return Path(root) / ".segcore" / "settings.json"


def budget_mb(root: Path) -> float:
    """The dataset's history budget in megabytes (its setting, else :data:`DEFAULT_MB`)."""
    try:
        mb = json.loads(_settings(root).read_text(encoding="utf-8")).get("history_mb")
    except (OSError, ValueError, AttributeError):
        return DEFAULT_MB
    return float(mb) if isinstance(mb, (int, float)) and not isinstance(mb, bool) and mb > 0 else DEFAULT_MB


def set_budget_mb(root: Path, mb: float) -> None:
    """Keep the dataset's history within ``mb`` megabytes from now on (pruned at once)."""
    if not isinstance(mb, (int, float)) or isinstance(mb, bool) or not mb > 0:
        raise FormatError(f"the history budget is a number of megabytes above 0, not {mb!r}")
    path = _settings(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data = data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        data = {}
    data["history_mb"] = mb
    write_text(path, json.dumps(data, indent=1, sort_keys=True), keep_backup=False)
    if usage(root) > mb * 1_000_000:
        prune(root, mb * 1_000_000)


def _usage_file(root: Path) -> Path:
    return Path(root) / ".segcore" / "versions" / "usage.json"


def usage(root: Path) -> int:
    """Bytes the kept versions take (counted as they are written; recounted if unknown)."""
    try:
        return int(json.loads(_usage_file(root).read_text(encoding="utf-8"))["bytes"])
    except (OSError, ValueError, KeyError, TypeError):
        return _recount(root)


def _recount(root: Path) -> int:
    total = 0
    folder = history_dir(root)
    if folder.is_dir():
        for item in os.scandir(folder):
            if item.is_dir():
                total += sum(e.stat().st_size for e in os.scandir(item.path) if e.name.endswith(".png"))
    _set_usage(root, total)
    return total


def _set_usage(root: Path, n: int) -> None:
    write_text(_usage_file(root), json.dumps({"bytes": int(max(0, n))}), keep_backup=False)


def _add_usage(root: Path, n: int) -> None:
    _set_usage(root, usage(root) + n)


def prune(root: Path, limit: float) -> int:
    """Remove the oldest versions until the history is within ``limit`` bytes (90 % of it, so
    that not every save prunes), keeping each item's first and newest versions. Returns how
    many went."""
    folder = history_dir(root)
    if not folder.is_dir():
        return 0
    logs: list[tuple[ItemLog, list[Version]]] = []
    candidates = []
    for entry in os.scandir(folder):
        if not entry.is_dir():
            continue
        log = ItemLog(root, entry.name)
        log.folder = Path(entry.path)     # named by its key: the item's name is not needed here
        vs = log.versions()
        logs.append((log, vs))
        candidates += [(v.time, v.number, len(logs) - 1) for v in vs[1:len(vs) - KEEP_NEWEST]]
    total = _recount(root)
    target = 0.9 * limit
    gone: dict[int, set[int]] = {}
    for _, number, k in sorted(candidates):
        if total <= target:
            break
        log, vs = logs[k]
        v = next(v for v in vs if v.number == number)
        (log.folder / v.file).unlink(missing_ok=True)
        total -= v.bytes
        gone.setdefault(k, set()).add(number)
    for k, numbers in gone.items():
        log, vs = logs[k]
        log._rewrite([v for v in vs if v.number not in numbers])
    _set_usage(root, total)
    return sum(map(len, gone.values()))
