"""``open_dataset(path)``: recognise a dataset from its files, without decoding any image.

The formats of :mod:`.registry` are asked in order: a labelme folder or file, a COCO file (or
a folder holding one), a VOC root, a folder of label maps, a plain folder of images.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FormatError
from ..labels import LabelSet
from . import coco, labelme, png, voc  # noqa: F401  (each registers its formats)
from .base import Dataset
from .colors import apply_saved_colors
from .registry import FORMATS, get_format

__all__ = ["open_dataset", "detect_format"]


def detect_format(path: str | os.PathLike) -> str | None:
    """The name of the format ``path`` is a dataset of, or None."""
    path = Path(path).expanduser()
    for name, cls in sorted(FORMATS.items(), key=lambda kv: kv[1].priority):
        if cls.detect(path):
            return name
    return None


def open_dataset(path: str | os.PathLike, images: str | os.PathLike | None = None,
                 label_set: LabelSet | None = None, format: str | None = None) -> Dataset:
    """Open a labelme folder (or one labelme file), a COCO JSON file, a VOC root, a label-map
    PNG or folder of them, or a plain folder of images. ``images``: the folder of the images
    where the format does not say (a COCO file's, label maps'); ``label_set``: read with these
    classes instead of the dataset's own; ``format``: skip detection."""
    path = Path(path).expanduser()
    images = Path(images).expanduser() if images else None
    if not path.exists():
        raise FormatError(f"{path} does not exist; give a dataset folder or a COCO JSON file")
    if images is not None and not images.is_dir():
        raise FormatError(f"images folder {images} is not a folder")
    name = format or detect_format(path)
    if name is None:
        if path.is_file() and path.suffix.lower() == ".json":
            raise FormatError(f"{path} is neither COCO (images, annotations, categories) nor labelme (shapes)")
        if path.is_file():
            raise FormatError(f"{path} is a file; give a dataset folder, a COCO or labelme JSON file or a label PNG")
        raise FormatError(f"{path} holds no images (.jpg, .png, ...), no JPEGImages folder, "
                          "no labelme or COCO JSON")
    return apply_saved_colors(get_format(name).open(path, images, label_set))
