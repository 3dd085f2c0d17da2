"""A dataset's class list on disk: ``labels.txt`` / ``class_names.txt``, one name per line.

labelme's ``labels.txt`` starts with ``__ignore__`` (void) and names the background
``_background_``; a file written back keeps the style it was read in.
"""

from __future__ import annotations

from pathlib import Path

from ..fileio import write_text
from ..labels import LabelSet

__all__ = ["read_class_list", "write_class_list"]


def read_class_list(path: Path) -> LabelSet | None:
    return LabelSet.from_file(path) if path.is_file() else None


def write_class_list(path: Path, label_set: LabelSet, labelme_style: bool = False) -> None:
    """Write the names, one a line (a replaced file is kept as ``.bak``); unchanged: no write."""
    if path.is_file():
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
        labelme_style = "__ignore__" in lines or "_background_" in lines
    names = list(label_set.names)
    if labelme_style:
        names = ["__ignore__"] + ["_background_" if n == "background" else n for n in names]
    text = "".join(f"{n}\n" for n in names)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    write_text(path, text, keep_backup=True)
