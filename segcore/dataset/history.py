"""Previous versions of a dataset's label files, kept before every overwrite.

A file about to be replaced is copied to ``<root>/.segcore/history/<its path in the
dataset>.<UTC time><suffix>``. The oldest copy (what the user had before segcore first wrote)
and the newest ``keep`` copies are kept; those in between are removed, so autosave cannot
fill the disk nor wash out the original.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

__all__ = ["keep_previous", "versions"]

KEEP = 5


def _dest_dir(root: Path, path: Path) -> tuple[Path, str]:
    rel = path.resolve().relative_to(root.resolve())
    return root / ".segcore" / "history" / rel.parent, rel.name


def versions(root: Path, path: Path) -> list[Path]:
    """Kept versions of ``path``, oldest first."""
    folder, name = _dest_dir(root, path)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith(name + ".") and p.name != name)


def keep_previous(root: Path, path: Path, keep: int = KEEP) -> Path | None:
    """Copy ``path`` (if it exists) into the history folder; returns the copy."""
    path = Path(path)
    if not path.is_file():
        return None
    folder, name = _dest_dir(Path(root), path)
    folder.mkdir(parents=True, exist_ok=True)
    ns = time.time_ns()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(ns // 1_000_000_000)) + f"{ns % 1_000_000_000:09d}"
    dest = folder / f"{name}.{stamp}{path.suffix}"
    shutil.copy2(path, dest)
    old = versions(Path(root), path)
    for p in old[1:-keep] if len(old) > keep + 1 else []:
        p.unlink(missing_ok=True)
    return dest
