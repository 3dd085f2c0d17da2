"""A VOC root as a dataset: ``JPEGImages/<name>.jpg`` and ``SegmentationClass/<name>.png``;
classes from ``labels.txt`` or ``class_names.txt`` in the root, else VOC's 21. A root without
``JPEGImages`` (labels only) is read too.

Where ``SegmentationObject/`` exists (instance ids, 0 background, 255 border) its items open as
objects (id: the object index; class: the class most of its pixels have; the void borders and
any class pixels no object holds stay as they are, beneath the objects). Written back,
``SegmentationClass`` gets the class map and ``SegmentationObject`` the top object at each pixel
(the format holds one object per pixel, at most 254 per image); a file whose pixels did not
change is not rewritten.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import FormatError
from ..fileio import write_with
from ..formats.voc import write_voc_dataset
from ..labels import LabelSet, voc_colormap
from ..objects import IdSource, Obj, ObjMask, Objects, apply_class_map
from .base import Dataset, ExportItem, find_image, list_images
from .classes import read_class_list
from .instances import InstanceMixin
from .png import PngDataset, class_file, has_images, natural
from .registry import register_format

__all__ = ["VocDataset", "open_voc"]


@register_format("voc", priority=30)
class VocDataset(InstanceMixin, PngDataset):
    #: Object indices a SegmentationObject PNG can hold (0 background, 255 border).
    MAX_OBJECT = 254

    @classmethod
    def detect(cls, path: Path) -> bool:
        return path.is_dir() and ((path / "JPEGImages").is_dir() or
                                  (path / "SegmentationClass").is_dir() and not has_images(path))

    @classmethod
    def open(cls, path: Path, images: Path | None = None, label_set: LabelSet | None = None) -> "VocDataset":
        root = Path(path)
        classes = class_file(root) or root / "class_names.txt"
        label_set = label_set or read_class_list(classes) or LabelSet.voc()
        folders = [Path(images)] if images else [root / "JPEGImages"]
        if (root / "JPEGImages").is_dir() and not images:
            found = list_images(root / "JPEGImages")
            names, paths = cls._names_of(found), list(found)
        else:
            seg = root / "SegmentationClass"
            stems = sorted((p.stem for p in seg.glob("*.png")), key=natural) if seg.is_dir() else []
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


def open_voc(root: Path) -> VocDataset:
    return VocDataset.open(Path(root))
