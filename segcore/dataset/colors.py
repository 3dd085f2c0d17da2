"""Class colours a user chose, kept with the dataset.

Most formats keep no colours (COCO, labelme, a labels file), so the choice is kept in the
dataset's ``.segcore`` folder, beside its status file, as ``{class name: [r, g, b]}``
(``colors.json``; a COCO file's is ``<stem>.colors.json``); formats that do keep colours, the
palette PNGs of VOC and label maps, write them into every label file written from then on.
An opened dataset takes the kept colours (:func:`open_dataset` applies them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import FormatError
from ..fileio import write_with
from ..labels import LabelSet

__all__ = ["parse_color", "colors_path", "apply_saved_colors", "set_class_color"]


def parse_color(color) -> tuple[int, int, int]:
    """``"#rrggbb"`` or ``(r, g, b)`` (0-255) as an RGB tuple; one-line error otherwise."""
    if isinstance(color, str):
        m = re.fullmatch(r"#?([0-9a-fA-F]{6})", color.strip())
        if not m:
            raise FormatError(f"a colour is #rrggbb, got {color!r}")
        h = m.group(1)
        return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))
    try:
        rgb = tuple(int(v) for v in color)
    except (TypeError, ValueError):
        raise FormatError(f"a colour is #rrggbb or (r, g, b), got {color!r}") from None
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise FormatError(f"a colour is three values 0-255, got {color!r}")
    return rgb


def colors_path(ds) -> Path:
    status = Path(ds._status.path)
    return status.with_name(status.name.replace("status.json", "colors.json"))


def _saved(ds) -> dict:
    path = colors_path(ds)
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return {}        # a broken file of ours costs the colours, never the dataset
    return data if isinstance(data, dict) else {}


def _recolored(ls: LabelSet, colors: dict) -> LabelSet:
    new = []
    for name, c in zip(ls.names, ls.colors):
        try:
            new.append(parse_color(colors[name]) if name in colors else c)
        except FormatError:
            new.append(c)
    return ls if tuple(new) == ls.colors else LabelSet(ls.names, tuple(new), ls.void_index, ls.void_color)


def apply_saved_colors(ds):
    """Give ``ds``'s classes the colours kept for them; returns ``ds``."""
    ls = ds.label_set
    if ls is not None:
        saved = _saved(ds)
        if saved:
            ds._label_set = _recolored(ls, saved)
    return ds


def set_class_color(ds, k: int, color) -> LabelSet:
    """Class ``k`` of ``ds`` takes ``color`` (``"#rrggbb"`` or RGB); kept for the next opening.
    Returns the new label set (the dataset's from now on)."""
    ls = ds.label_set
    if ls is None or not 0 <= int(k) < len(ls):
        raise FormatError(f"class {k} is not one of the dataset's {0 if ls is None else len(ls)} classes")
    rgb = parse_color(color)
    saved = _saved(ds)
    saved[ls.names[int(k)]] = list(rgb)
    path = colors_path(ds)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_with(path, lambda p: Path(p).write_text(json.dumps(saved, indent=1), encoding="utf-8"), keep_backup=False)
    ds._label_set = _recolored(ls, {ls.names[int(k)]: rgb})
    return ds._label_set
