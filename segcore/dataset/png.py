"""Datasets whose labels are one palette PNG per image: a VOC root, a plain image folder, or
a folder of label maps.

* ``voc``: ``JPEGImages/<name>.jpg`` and ``SegmentationClass/<name>.png``; classes from
  ``labels.txt`` or ``class_names.txt`` in the root, else VOC's 21. A root without
  ``JPEGImages`` (labels only) is read too. Where ``SegmentationObject/`` exists (instance ids,
  0 background, 255 border) its items open as objects (id: the object index; class: the class
  most of its pixels have; the void borders and any class pixels no object holds stay as they
  are, beneath the objects). Written back, ``SegmentationClass`` gets the class map and
  ``SegmentationObject`` the top object at each pixel (the format holds one object per pixel,
  at most 254 per image); a file whose pixels did not change is not rewritten.
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
from ..fileio import write_with
from ..formats.voc import read_label_map, write_label_png, write_voc_dataset
from ..labels import LabelSet, voc_colormap
from ..objects import IdSource, Obj, ObjMask, Objects, apply_class_map
from .base import IMAGE_EXTS, Dataset, ExportItem, find_image, list_images
from .classes import read_class_list, write_class_list
from .instances import InstanceMixin
from .registry import register_format

__all__ = ["PngDataset", "VocDataset", "FolderDataset", "LabelMapDataset", "open_voc", "open_folder"]


class PngDataset(Dataset):
    """Items ``names`` with their images (None where absent); labels ``label_dir/<name>.png``."""

    def __init__(self, root: Path, names: list[str], images: list[Path | None], label_dir: Path,
                 classes_file: Path, label_set: LabelSet | None):
        self._images = images
        self.label_dir = label_dir
        self.classes_file = classes_file
        self._have = set()
        if label_dir.is_dir():
            with os.scandir(label_dir) as it:
                self._have = {e.name[:-4] for e in it if e.name.endswith(".png") and e.is_file()}
        super().__init__(root, names, root / ".segcore" / "status.json", label_set)

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


def _class_file(*folders: Path) -> Path | None:
    return next((f / n for f in folders for n in ("labels.txt", "class_names.txt") if (f / n).is_file()), None)


def _has_images(folder: Path) -> bool:
    with os.scandir(folder) as it:
        return any(e.is_file() and os.path.splitext(e.name)[1].lower() in IMAGE_EXTS and not e.name.startswith(".")
                   for e in it)


@register_format("voc", priority=30)
class VocDataset(InstanceMixin, PngDataset):
    #: Object indices a SegmentationObject PNG can hold (0 background, 255 border).
    MAX_OBJECT = 254

    @classmethod
    def detect(cls, path: Path) -> bool:
        return path.is_dir() and ((path / "JPEGImages").is_dir() or
                                  (path / "SegmentationClass").is_dir() and not _has_images(path))

    @classmethod
    def open(cls, path: Path, images: Path | None = None, label_set: LabelSet | None = None) -> "VocDataset":
        root = Path(path)
        classes = _class_file(root) or root / "class_names.txt"
        label_set = label_set or read_class_list(classes) or LabelSet.voc()
        folders = [Path(images)] if images else [root / "JPEGImages"]
        if (root / "JPEGImages").is_dir() and not images:
            found = list_images(root / "JPEGImages")
            names, paths = cls._names_of(found), list(found)
        else:
            seg = root / "SegmentationClass"
            stems = sorted((p.stem for p in seg.glob("*.png")), key=_natural) if seg.is_dir() else []
            names, paths = stems, [find_image(folders, s) for s in stems]
        return cls(root, names, paths, root / "SegmentationClass", classes, label_set)

    @property
    def has_objects(self) -> bool:
        return (self.root / "SegmentationObject").is_dir()

    def _object_path(self, i: int) -> Path:
        return self.root / "SegmentationObject" / f"{self._names[i]}.png"

    def label_files(self, i: int) -> list[Path]:
        obj = self._object_path(i)
        return [self._label_path(i)] + ([obj] if obj.is_file() else [])

    # -- class maps where there are no objects ------------------------------------------
    def read_objects(self, i: int):
        return super().read_objects(i) if self.has_objects else None

    def write_objects(self, i: int, objects, status: str = "edited") -> dict:
        if not self.has_objects:
            return Dataset.write_objects(self, i, objects, status)
        return super().write_objects(i, objects, status)

    def _read(self, i: int) -> np.ndarray:
        return PngDataset._read(self, i)          # the class PNG is the class map the objects draw

    def _write(self, i: int, labels: np.ndarray) -> None:
        if self.has_objects:
            InstanceMixin._write(self, i, labels)
        else:
            PngDataset._write(self, i, labels)

    def overlap(self, i: int) -> np.ndarray | None:
        return None                                # one object per pixel

    # -- objects ------------------------------------------------------------------------
    def _read_object_png(self, i: int, shape) -> np.ndarray | None:
        path = self._object_path(i)
        if not path.is_file():
            return None
        with Image.open(path) as im:
            if im.mode not in ("P", "L"):
                raise FormatError(f"{self.root.name}/SegmentationObject/{path.name} is a {im.mode} image; "
                                  "object PNGs hold one index per pixel (palette or greyscale)")
            obj = np.asarray(im, dtype=np.uint8).copy()
        return obj if obj.shape == tuple(shape) else None

    def _objects(self, i: int) -> Objects:
        ls = self.label_set
        void, fill = ls.void_index, ls.unlabelled
        if not self._has_label_file(i):
            size = self.image_size(i)
            if size is None:
                from ..errors import ImageError
                raise ImageError(f"{self._names[i]} has neither labels nor an image")
            return Objects(size, ls, (), ids=IdSource(1, self.MAX_OBJECT))
        cls = PngDataset._read(self, i)
        obj = self._read_object_png(i, cls.shape)
        if obj is None:      # no object PNG (yet) for this item: its regions are the objects
            base = np.where(cls == void, void, fill).astype(np.uint8)
            empty = Objects(cls.shape, ls, (), base=base, ids=IdSource(1, self.MAX_OBJECT))
            return apply_class_map(empty, cls)
        items, base = [], cls.copy()
        for k in np.unique(obj).tolist():
            if k in (0, 255):
                continue
            m = obj == k
            counts = np.bincount(cls[m], minlength=256)
            counts[void] = 0
            c = int(counts.argmax())
            mask = ObjMask.from_full(m & (cls == c)) if counts[c] else None
            if mask is None:
                continue
            items.append(Obj(k, c, mask))
            base[mask.slices][mask.crop] = fill
        return Objects(cls.shape, ls, items, base=base, ids=IdSource(1, self.MAX_OBJECT))

    def _write_objects(self, i: int, objects: Objects) -> dict:
        void = self.label_set.void_index
        big = [o.id for o in objects if not 1 <= o.id <= self.MAX_OBJECT]
        if big:
            raise FormatError(f"object {big[0]}: a VOC object PNG holds object indices 1-{self.MAX_OBJECT}")
        cls = objects.class_map()
        top = objects.top_map(visible_only=False)
        ids = np.asarray([o.id for o in objects.items] + [0], np.uint8)
        obj = ids[top]                                   # -1 (no object) takes the last entry, 0
        obj[cls == void] = 255
        if not self._has_label_file(i) or not np.array_equal(PngDataset._read(self, i), cls):
            PngDataset._write(self, i, np.ascontiguousarray(cls))
        path = self._object_path(i)
        palette = None
        if path.is_file():
            with Image.open(path) as im:
                palette = im.getpalette()
                same = im.mode in ("P", "L") and np.array_equal(np.asarray(im), obj)
            if same:
                self._remember(i, objects)
                return {}
        self._keep(path)
        full = voc_colormap().ravel().tolist()
        palette = list(palette or [])[:768]
        palette += full[len(palette):]          # a short palette would make PIL drop bits

        def save(p):
            img = Image.fromarray(obj, mode="P")
            img.putpalette(palette)
            img.save(p, format="PNG")
        write_with(path, save, keep_backup=False)
        self._remember(i, objects)
        return {}

    @classmethod
    def export(cls, items: list[ExportItem], out: Path, label_set: LabelSet, notes: list | None = None,
               images: bool = True) -> Path:
        missing = [it.name for it in items if it.image_path is None and it.rgb() is None]
        if missing:
            raise FormatError(f"a VOC dataset needs the images; none found for {', '.join(missing[:3])}: "
                              "give the folder of the images")
        return write_voc_dataset(out, ((Path(it.name).stem, it.rgb(), it.labels) for it in items), label_set)


@register_format("folder", priority=50)
class FolderDataset(PngDataset):
    @classmethod
    def detect(cls, path: Path) -> bool:
        return path.is_dir() and _has_images(path)

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
                      key=lambda p: _natural(p.name))


def _natural(name: str):
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
            beside = _class_file(folder, folder.parent) if folder.name == "SegmentationClass" else _class_file(folder)
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


def open_voc(root: Path) -> VocDataset:
    return VocDataset.open(Path(root))


def open_folder(root: Path) -> FolderDataset:
    return FolderDataset.open(Path(root))
