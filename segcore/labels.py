"""Label sets: ordered class names, one RGB colour each, and the void index.

Index ``i`` of a label map is class ``names[i]``; ``void_index`` (255) marks pixels that belong
to no class (object borders in VOC, ``__ignore__`` in labelme) and is skipped by metrics.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import FormatError

__all__ = ["LabelSet", "VOC_CLASSES", "voc_colormap", "VOID_INDEX", "VOID_COLOR", "check_class_name",
           "MAX_CLASSES", "BACKGROUND_NAMES", "is_background_name"]

VOID_INDEX = 255
#: The colour VOC's palette gives index 255.
VOID_COLOR = (224, 224, 192)

VOC_CLASSES = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
    "sheep", "sofa", "train", "tvmonitor",
)

#: The names that make a class the background (torchvision's, labelme's, detectron's), any
#: case. Only a class so named is background; class 0 is a class like any other.
BACKGROUND_NAMES = ("background", "_background_", "__background__")
_IGNORE_NAMES = ("__ignore__",)


def is_background_name(name) -> bool:
    """Whether a class of this name is the background (see :data:`BACKGROUND_NAMES`)."""
    return isinstance(name, str) and name.strip().lower() in BACKGROUND_NAMES


#: At most this many classes: index 255 is void.
MAX_CLASSES = 254


def check_class_name(name) -> str:
    """``name`` if it can be a class name: a non-empty string without control characters or
    line breaks (a labels file holds one name a line); else a FormatError that says why."""
    import unicodedata

    if not isinstance(name, str):
        raise FormatError(f"a class name must be text, got {name!r}")
    if not name.strip():
        raise FormatError("a class name cannot be empty")
    bad = next((ch for ch in name if unicodedata.category(ch) in ("Cc", "Zl", "Zp")), None)
    if bad is not None:
        raise FormatError(f"class name {name!r} holds a control character or line break ({bad!r}); "
                          "a class name is one line of text")
    return name


def voc_colormap(n: int = 256) -> np.ndarray:
    """The PASCAL VOC colormap: ``(n, 3)`` uint8, colour of index i from the bits of i."""
    cmap = np.zeros((n, 3), dtype=np.uint8)
    for i in range(n):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        cmap[i] = (r, g, b)
    return cmap


@dataclass(frozen=True)
class LabelSet:
    """Ordered class names with one RGB colour each; ``void_index`` marks unlabelled pixels."""

    names: tuple[str, ...]
    colors: tuple[tuple[int, int, int], ...] = field(default=())
    void_index: int = VOID_INDEX
    void_color: tuple[int, int, int] = VOID_COLOR

    def __post_init__(self) -> None:
        names = tuple(check_class_name(n) for n in self.names)
        if not names:
            raise FormatError("a label set needs at least one class name")
        if len(names) > min(MAX_CLASSES, self.void_index):
            raise FormatError(f"a label set holds at most {min(MAX_CLASSES, self.void_index)} classes, "
                              f"got {len(names)}")
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise FormatError(f"class names must be unique; repeated: {', '.join(dup)}")
        colors = tuple(tuple(int(v) for v in c) for c in self.colors) if self.colors else ()
        if not colors:
            cmap = voc_colormap()
            colors = tuple(tuple(int(v) for v in cmap[i]) for i in range(len(names)))
        if len(colors) != len(names):
            raise FormatError(f"{len(names)} class names but {len(colors)} colours")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "colors", colors)

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def voc(cls) -> "LabelSet":
        """The 21 PASCAL VOC classes with the standard VOC colormap."""
        return cls(VOC_CLASSES)

    @classmethod
    def from_names(cls, names, colors=()) -> "LabelSet":
        return cls(tuple(names), tuple(colors))

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "LabelSet":
        """Read a labels file: one class name per line, as labelme and mmseg write them.

        ``__ignore__`` maps to void (it takes no index); ``_background_`` is index 0.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise FormatError(f"cannot read labels file {path}: {e.__class__.__name__}") from None
        names = []
        for line in text.splitlines():
            name = line.strip()
            if not name or name in _IGNORE_NAMES:
                continue
            names.append("background" if is_background_name(name) else name)
        if not names:
            raise FormatError(f"labels file {path} has no class names (one name per line)")
        return cls(tuple(names))

    @classmethod
    def parse(cls, spec: str | os.PathLike | "LabelSet" | None) -> "LabelSet":
        """``None`` or ``"voc"`` gives VOC; a LabelSet passes through; anything else is a file."""
        if spec is None or isinstance(spec, str) and spec.lower() == "voc":
            return cls.voc()
        if isinstance(spec, LabelSet):
            return spec
        return cls.from_file(spec)

    # -- lookups ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.names)

    @property
    def background(self) -> int | None:
        """The index of the class named background (:data:`BACKGROUND_NAMES`), or None: the one
        place that answers which class is background, for every renderer, codec and tool."""
        return next((k for k, n in enumerate(self.names) if is_background_name(n)), None)

    @property
    def unlabelled(self) -> int:
        """What a pixel nothing labels shows: the background class if there is one, else void."""
        bg = self.background
        return self.void_index if bg is None else bg

    def index_of(self, name: str) -> int:
        """Index of a class name; background aliases and ``__ignore__`` (void) are understood."""
        if name in self.names:
            return self.names.index(name)
        if is_background_name(name) and self.background is not None:
            return self.background
        if name in _IGNORE_NAMES:
            return self.void_index
        raise FormatError(f"unknown class name {name!r}; known: {', '.join(self.names)}")

    def color_of(self, index: int) -> tuple[int, int, int]:
        return self.void_color if index == self.void_index else self.colors[index]

    def hex_color(self, index: int) -> str:
        return "#%02x%02x%02x" % self.color_of(index)

    def lut(self) -> np.ndarray:
        """``(256, 3)`` uint8: colour of every possible label value (unused values black)."""
        table = np.zeros((256, 3), dtype=np.uint8)
        table[: len(self.names)] = np.asarray(self.colors, dtype=np.uint8)
        table[self.void_index] = self.void_color
        return table

    def palette(self) -> list[int]:
        """768 ints for ``PIL.Image.putpalette``; unused entries follow the VOC colormap."""
        table = voc_colormap()
        table[: len(self.names)] = np.asarray(self.colors, dtype=np.uint8)
        table[self.void_index] = self.void_color
        return table.reshape(-1).tolist()

    def is_voc(self) -> bool:
        return self.names == VOC_CLASSES
