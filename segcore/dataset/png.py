"""Datasets whose labels are one palette PNG per image: a VOC root, a plain image folder, or
a folder of label maps.

* ``voc``: a VOC root (:mod:`.voc`);
* ``folder``: the images themselves; labels go to ``SegmentationClass/<stem>.png`` inside it,
  classes to ``labels.txt`` there (written when classes are first set).
* ``labelmaps``: a label-map PNG or a folder of them (what ``segcore predict`` writes), the
  images, if any, in another folder (``images``) matched by stem; classes from a
  ``labels.txt`` / ``class_names.txt`` beside them, else VOC's where the palette is VOC's.

Statuses live in ``.segcore/status.json`` in the root.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import FormatError
from ..formats.voc import read_label_map, write_label_png
from ..labels import LabelSet, voc_colormap
from .base import IMAGE_EXTS, Dataset, find_image, list_images
from .classes import read_class_list, write_class_list
from .registry import register_format

__all__ = ["PngDataset", "FolderDataset", "LabelMapDataset", "open_folder", "class_file", "has_images", "natural"]


class PngDataset(Dataset):
    """Items ``names`` with their images (None where absent); labels ``label_dir/<name>.png``."""

    def __init__(self, root: Path, names: list[str], images: list[Path | None], label_dir: Path,
                 classes_file: Path, label_set: LabelSet | None):
        self._images = images
        self.label_dir = label_dir
        self.classes_file = classes_file
        self._have: set[str] = set()
        self._dir_stamp = None
        self._scan()
        super().__init__(root, names, root / ".segcore" / "status.json", label_set)

    def _scan(self) -> None:
        """Which items have a label file (one listing of the folder; again when it changed)."""
        try:
            stamp = self.label_dir.stat().st_mtime_ns
        except OSError:
            stamp = None
        if stamp == self._dir_stamp:
            return
        self._dir_stamp, self._have = stamp, set()
        if stamp is not None:
            with os.scandir(self.label_dir) as it:
                self._have = {e.name[:-4] for e in it if e.name.endswith(".png") and e.is_file()}

    def refresh(self, i: int | None = None) -> None:
        super().refresh(i)
        if i is None:
            self._scan()
        elif self._label_path(i).is_file():
            self._have.add(self._names[i])
        else:
            self._have.discard(self._names[i])

    @staticmethod
    def _names_of(images: list[Path]) -> list[str]:
        names, seen = [], set()
        for p in images:
            name = p.stem if p.stem not in seen else p.name  # a.jpg and a.png: both kept
            seen.add(name)
            names.append(name)
        return names

    def image_path(self, i: int) -> Path | None:
        return self._images[i]

    def read_image(self, i: int) -> np.ndarray:
        if self._images[self._check(i)] is None:
            from ..errors import ImageError
            raise ImageError(f"{self._names[i]} has no image here; give the folder of the images")
        return super().read_image(i)

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

    def image_size(self, i: int):
        if self._images[i] is None and self._has_label_file(i):
            with Image.open(self._label_path(i)) as im:
                return im.size[::-1]
        return super().image_size(i)

    def _write(self, i: int, labels: np.ndarray) -> None:
        path = self._label_path(i)
        self._keep(path)
        write_label_png(path, labels, self.label_set, keep_backup=False)
        self._have.add(self._names[i])

    def _write_classes(self, label_set: LabelSet) -> None:
        write_class_list(self.classes_file, label_set)


def class_file(*folders: Path) -> Path | None:
    return next((f / n for f in folders for n in ("labels.txt", "class_names.txt") if (f / n).is_file()), None)


def has_images(folder: Path) -> bool:
    with os.scandir(folder) as it:
        return any(e.is_file() and os.path.splitext(e.name)[1].lower() in IMAGE_EXTS and not e.name.startswith(".")
                   for e in it)


@register_format("folder", priority=50)
class FolderDataset(PngDataset):
    @classmethod
    def detect(cls, path: Path) -> bool:
        return path.is_dir() and has_images(path)

    @classmethod
    def open(cls, path: Path, images: Path | None = None, label_set: LabelSet | None = None) -> "FolderDataset":
        root = Path(path)
        classes = root / "labels.txt"
        found = list_images(root)
        return cls(root, cls._names_of(found), list(found), root / "SegmentationClass", classes,
                   label_set or read_class_list(classes))


def _is_label_png(path: Path) -> bool:
    """A palette or greyscale PNG (from its header): a label map, not a photo."""
    try:
        with Image.open(path) as im:
            return im.format == "PNG" and im.mode in ("P", "L", "1", "I;16", "I")
    except OSError:
        return True     # a broken file: the label reader says what is wrong with it


def _label_pngs(folder: Path) -> list[Path]:
    with os.scandir(folder) as it:
        return sorted((Path(e.path) for e in it if e.is_file() and e.name.lower().endswith(".png")
                       and not e.name.startswith(".") and not e.name.endswith(("_overlay.png", "_legend.png"))),
                      key=lambda p: natural(p.name))


def natural(name: str):
    from .base import natural_key

    return natural_key(name)


def _palette_is_voc(path: Path) -> bool:
    """Whether a label PNG's palette gives every value it uses VOC's colour."""
    try:
        with Image.open(path) as im:
            if im.mode != "P":
                return False
            pal = np.asarray(im.getpalette()[:768], np.uint8).reshape(-1, 3)
            used = [v for v in np.unique(np.asarray(im)) if v != 255]
    except OSError:
        return False
    cmap = voc_colormap()
    return bool(used) and max(used) < 21 and all((pal[v] == cmap[v]).all() for v in used)


@register_format("labelmaps", priority=40)
class LabelMapDataset(PngDataset):
    """Label-map PNGs as items (the images, if any, elsewhere)."""

    @classmethod
    def detect(cls, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() == ".png"
        if not path.is_dir():
            return False
        pngs = _label_pngs(path)
        with os.scandir(path) as it:
            others = any(e.is_file() and os.path.splitext(e.name)[1].lower() in IMAGE_EXTS
                         and not e.name.lower().endswith(".png") for e in it)
        return bool(pngs) and not others and all(_is_label_png(p) for p in pngs[:8])

    @classmethod
    def open(cls, path: Path, images: Path | None = None, label_set: LabelSet | None = None) -> "LabelMapDataset":
        path = Path(path)
        folder = path if path.is_dir() else path.parent
        pngs = [path] if path.is_file() else _label_pngs(folder)
        if label_set is None:
            beside = class_file(folder, folder.parent) if folder.name == "SegmentationClass" else class_file(folder)
            label_set = read_class_list(beside) if beside else None
            if label_set is None:
                if not (pngs and all(_palette_is_voc(p) for p in pngs[:20])):
                    raise FormatError(f"cannot tell the classes of {path}: no labels.txt beside it and its palette "
                                      "is not VOC's; give the class list (a labels file, one name per line, or voc)")
                label_set = LabelSet.voc()
        names = [p.stem for p in pngs]
        paths = [find_image([images], n) if images else None for n in names]
        ds = cls(folder, names, paths, folder, folder / "labels.txt", label_set)
        if path.is_file():
            ds._have = {path.stem}
        return ds


def open_folder(root: Path) -> FolderDataset:
    return FolderDataset.open(Path(root))
