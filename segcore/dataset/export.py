"""``export_dataset(ds, fmt, out)``: write every labelled item of a dataset in another format.

The one exporter behind ``segcore convert`` and the app's Export panel. Items without labels
are left out; an image whose size disagrees with its labels is refused before anything is
written, so a failed export leaves no partial output.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FormatError, ImageError
from .base import Dataset, ExportItem
from .registry import get_format, list_formats

__all__ = ["export_dataset", "export_formats", "labelled_items"]


def export_formats() -> list[str]:
    """The formats a dataset can be written in (``voc``, ``coco``, ``labelme``)."""
    return list_formats(export=True)


def labelled_items(ds: Dataset) -> list[ExportItem]:
    """Every item of ``ds`` with labels, its size checked against its image's header."""
    items = []
    for i in range(len(ds)):
        labels = ds.read_labels(i)
        if labels is None:
            continue
        name, path = ds.names[i], ds.image_path(i)
        path = path if path is not None and path.is_file() else None
        size = ds.image_size(i) if path is not None else None
        if size is not None and tuple(size) != labels.shape:
            raise FormatError(f"{name}: image {size[1]}x{size[0]} and mask {labels.shape[1]}x{labels.shape[0]} "
                              "differ in size")

        def rgb(i=i):
            try:
                return ds.read_image(i)
            except ImageError:
                return None
        items.append(ExportItem(name, labels, path, rgb))
    return items


def export_dataset(ds: Dataset, fmt: str, out: str | os.PathLike, notes: list | None = None,
                   images: bool = True) -> Path:
    """Write the labelled items of ``ds`` as ``fmt`` (``voc``: a dataset folder; ``coco``: a
    JSON file with the images in ``images/`` beside it; ``labelme``: a folder of JSON files)
    at ``out``, in ``ds``'s classes; returns the path written. ``images=False``: the labels
    only (COCO and labelme name the images but do not copy them). Notes for the user (images
    not found) are appended to ``notes``."""
    exporter = get_format(fmt)
    if not exporter.can_export():
        raise FormatError(f"cannot export as {fmt}; choose one of {', '.join(export_formats())}")
    if ds.label_set is None:
        raise FormatError(f"{ds.root} has no classes yet; nothing to export")
    items = labelled_items(ds)
    if not items:
        raise FormatError(f"{ds.root} has no labelled items to export")
    return exporter.export(items, Path(out), ds.label_set, notes, images)
