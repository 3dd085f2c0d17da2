"""Datasets whose labels are one palette PNG per image: a VOC root, or a plain image folder.

* VOC root: ``JPEGImages/<name>.jpg`` and ``SegmentationClass/<name>.png``; classes from
  ``labels.txt`` or ``class_names.txt`` in the root, else VOC's 21.
* plain folder: the images themselves; labels go to ``SegmentationClass/<stem>.png`` inside
  it, classes to ``labels.txt`` there (written when classes are first set).

Statuses live in ``.segcore/status.json`` in the root.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import FormatError
from ..formats.voc import read_label_map, write_label_png
from ..labels import LabelSet
from .base import Dataset, list_images
from .classes import read_class_list, write_class_list

__all__ = ["PngDataset", "open_voc", "open_folder"]


class PngDataset(Dataset):
    def __init__(self, root: Path, images: list[Path], label_dir: Path, classes_file: Path,
                 label_set: LabelSet | None, kind: str):
        names, self._images = [], []
        seen = set()
        for p in images:
            name = p.stem if p.stem not in seen else p.name  # a.jpg and a.png: both kept
            seen.add(name)
            names.append(name)
            self._images.append(p)
        self.kind = kind
        self.label_dir = label_dir
        self.classes_file = classes_file
        self._have = set()
        if label_dir.is_dir():
            with os.scandir(label_dir) as it:
                self._have = {e.name[:-4] for e in it if e.name.endswith(".png") and e.is_file()}
        super().__init__(root, names, root / ".segcore" / "status.json", label_set)

    def image_path(self, i: int) -> Path:
        return self._images[i]

    def _label_path(self, i: int) -> Path:
        return self.label_dir / f"{self._names[i]}.png"

    def label_files(self, i: int) -> list[Path]:
        return [self._label_path(i)]

    def _has_label_file(self, i: int) -> bool:
        return self._names[i] in self._have

    def _read(self, i: int) -> np.ndarray:
        path = self._label_path(i)
        if self.label_set is not None:
            return read_label_map(path, self.label_set, name=f"{self.root.name}/{path.name}")
        with Image.open(path) as im:
            if im.mode not in ("P", "L"):
                raise FormatError(f"{path} is a {im.mode} image; without a class list only palette "
                                  "or greyscale label PNGs can be read")
            return np.asarray(im, dtype=np.uint8).copy()

    def _write(self, i: int, labels: np.ndarray) -> None:
        path = self._label_path(i)
        self._keep(path)
        write_label_png(path, labels, self.label_set, keep_backup=False)
        self._have.add(self._names[i])

    def _write_classes(self, label_set: LabelSet) -> None:
        write_class_list(self.classes_file, label_set)


def open_voc(root: Path) -> PngDataset:
    classes = next((root / n for n in ("labels.txt", "class_names.txt") if (root / n).is_file()),
                   root / "class_names.txt")
    label_set = read_class_list(classes) or LabelSet.voc()
    return PngDataset(root, list_images(root / "JPEGImages"), root / "SegmentationClass", classes,
                      label_set, "voc")


def open_folder(root: Path) -> PngDataset:
    classes = root / "labels.txt"
    return PngDataset(root, list_images(root), root / "SegmentationClass", classes,
                      read_class_list(classes), "folder")
