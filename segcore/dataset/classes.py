"""A dataset's class list on disk: ``labels.txt`` / ``class_names.txt``, one name per line.

labelme's ``labels.txt`` starts with ``__ignore__`` (void, labelme's -1) and then
``_background_`` (labelme's 0: what no shape covers); its own ``labelme2voc.py`` asserts both.
Written in that style, the background class (whatever its index) is the ``_background_`` line,
and a label set without one gets the line all the same, so CamVid's classes are written
``__ignore__``, ``_background_``, ``sky``, ... and read back as background, sky, ...: the same
classes by name, with a background class that no pixel has. A file written back keeps the
style it was read in.
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
        bg = label_set.background
        names = ["__ignore__", "_background_"] + [n for k, n in enumerate(names) if k != bg]
    text = "".join(f"{n}\n" for n in names)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    write_text(path, text, keep_backup=True)
