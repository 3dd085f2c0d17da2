"""A labelme folder as a dataset: ``<stem>.json`` beside (or pointing to) each image.

Items are the images of the folder and the JSON files (a JSON whose image lies elsewhere is
found through its ``imagePath``, or its embedded ``imageData``); one labelme JSON file opens
as a dataset of one item. Classes come from a ``labels.txt`` in the folder (labelme's
``--labels`` file), else from the labels the files use, in first-seen order after background.

Writing changes only what the edit changed (:mod:`.diff`): a shape with no changed pixel is
kept as it was; one that lost pixels to another class or gained touching pixels of its own
gets new ``points`` (a polygon where one draws exactly, else a ``mask`` shape) and keeps its
label, group_id, flags and other keys; new regions become new shapes at the end (drawn on
top, touching nothing else). The file keeps its other keys and its JSON layout. An item
without a JSON gets one beside its image (see :mod:`segcore.formats.labelme`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..fileio import read_json, write_text
from ..formats.labelme import (label_set_used, labelme_image, labelme_to_labels, read_labelme, shape_geometry,
                               shape_label, shape_masks, to_labelme)
from ..labels import LabelSet
from .base import Dataset, ExportItem, list_images, natural_key, place_image
from .classes import read_class_list, write_class_list
from .diff import changed_box, diff_instances
from .jsonfile import dumps, json_layout
from .registry import register_format

__all__ = ["LabelmeDataset"]


def _stamp(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


@register_format("labelme", priority=10)
class LabelmeDataset(Dataset):
    def __init__(self, root: Path, only: Path | None = None, label_set: LabelSet | None = None):
        root = Path(root)
        if only is not None:
            jsons = {only.stem: only}
            images = {}
        else:
            images = {p.stem: p for p in list_images(root)}
            with os.scandir(root) as it:
                jsons = {e.name[:-5]: Path(e.path) for e in it if e.name.endswith(".json") and e.is_file()
                         and not e.name.startswith(".")}
        names = sorted(set(images) | set(jsons), key=natural_key)
        self._only = only
        self._root_stamp = _stamp(root)
        self._images = images
        self._jsons = jsons
        self._json_cache: dict[str, dict] = {}
        self._json_stamp: dict[str, tuple] = {}
        self._layouts: dict[str, dict] = {}
        self.classes_file = root / "labels.txt"
        super().__init__(root, names, root / ".segcore" / "status.json",
                         label_set or read_class_list(self.classes_file))

    # -- the format ---------------------------------------------------------------------
    @classmethod
    def detect(cls, path: Path) -> bool:
        from .coco import _jsons, json_kind

        if path.is_file():
            return path.suffix.lower() == ".json" and json_kind(path) == "labelme"
        return path.is_dir() and any(json_kind(j) == "labelme" for j in _jsons(path))

    @classmethod
    def open(cls, path: Path, images: Path | None = None, label_set: LabelSet | None = None) -> "LabelmeDataset":
        path = Path(path)
        if path.is_file():
            return cls(path.parent, only=path, label_set=label_set)
        return cls(path, label_set=label_set)

    @classmethod
    def export(cls, items: list[ExportItem], out: Path, label_set: LabelSet, notes: list | None = None,
               images: bool = True) -> Path:
        """``out``: a folder of ``<name>.json`` with each image beside it (``imagePath`` its file
        name, copied; embedded as ``imageData`` where the item has no image file; ``images=False``:
        the JSON files alone) and labelme's ``labels.txt`` (``__ignore__``, then
        the classes), so labelme and its converter read the labels with the same numbers."""
        out = Path(out)
        files, seen = [], set()
        for it in items:
            stem = Path(it.name).stem
            if stem in seen:
                raise FormatError(f"two items would both be {stem}.json in a labelme folder: {it.name}")
            seen.add(stem)
            embed = it.rgb() if it.image_path is None else None
            rel = f"{stem}{it.image_path.suffix}" if it.image_path is not None else ""
            files.append((it, rel, out / f"{stem}.json", to_labelme(it.labels, label_set, rel, embed)))
        for it, rel, path, data in files:
            if rel and images:
                place_image(it, out / rel)
            write_text(path, dumps(data, {"indent": 1, "ensure_ascii": False}))
        write_class_list(out / "labels.txt", label_set, labelme_style=True)
        return out

    def _json(self, name: str) -> dict:
        if name not in self._json_cache:
            self._json_cache.clear()  # one file kept: embedded images make them large
            path = self._jsons[name]
            self._json_stamp[name] = _stamp(path)
            self._json_cache[name] = read_labelme(path)
            self._layouts[name] = json_layout(path.read_text(encoding="utf-8"))
        return self._json_cache[name]

    def refresh(self, i: int | None = None) -> None:
        super().refresh(i)
        if i is None:
            names = list(self._json_cache)
            if self._only is None and _stamp(self.root) != self._root_stamp:   # a file came or went
                self._root_stamp = _stamp(self.root)
                with os.scandir(self.root) as it:
                    found = {e.name[:-5]: Path(e.path) for e in it if e.name.endswith(".json") and e.is_file()
                             and not e.name.startswith(".")}
                self._jsons = {n: p for n, p in found.items() if n in self._index}
        else:
            names = [self._names[self._check(i)]]
            path = self._jsons.get(names[0], self.root / f"{names[0]}.json")
            if path.is_file():
                self._jsons[names[0]] = path
            else:
                self._jsons.pop(names[0], None)
        for name in names:
            path = self._jsons.get(name)
            if name in self._json_cache and (path is None or _stamp(path) != self._json_stamp.get(name)):
                del self._json_cache[name]     # another program wrote it: read it again

    @property
    def label_set(self) -> LabelSet | None:
        if self._label_set is None and self._jsons:
            self._label_set = label_set_used(self._readable(self._jsons[n])
                                             for n in sorted(self._jsons, key=natural_key))
        return self._label_set

    @staticmethod
    def _readable(path) -> dict:
        try:
            return read_json(path)
        except FormatError:
            return {}   # a broken file says so when its item is read, not here

    def image_path(self, i: int) -> Path | None:
        name = self._names[i]
        if name in self._images:
            return self._images[name]
        rel = self._json(name).get("imagePath")
        if rel:
            p = self._jsons[name].parent / rel
            if p.is_file():
                return p
        return None

    def read_image(self, i: int) -> np.ndarray:
        i = self._check(i)
        name = self._names[i]
        if name in self._images or name not in self._jsons:
            return super().read_image(i)
        rgb = labelme_image(self._json(name), self._jsons[name])
        if rgb is None:
            from ..errors import ImageError
            raise ImageError(f"{self._jsons[name].name} has neither imageData nor a readable imagePath")
        return rgb

    def image_size(self, i: int):
        name = self._names[i]
        if name in self._jsons:
            d = self._json(name)
            if d.get("imageHeight") and d.get("imageWidth"):
                return int(d["imageHeight"]), int(d["imageWidth"])
        return super().image_size(i)

    def label_files(self, i: int) -> list[Path]:
        name = self._names[i]
        return [self._jsons.get(name, self.root / f"{name}.json")]

    def _has_label_file(self, i: int) -> bool:
        return self._names[i] in self._jsons

    def _read(self, i: int) -> np.ndarray:
        name = self._names[i]
        return labelme_to_labels(self._json(name), self.label_set, name=self._jsons[name].name)

    def _write(self, i: int, labels: np.ndarray) -> None:
        name = self._names[i]
        if name not in self._jsons:
            path = self.root / f"{name}.json"
            out = to_labelme(labels, self.label_set, image_path=self._images[name].name)
            self._keep(path)
            write_text(path, dumps(out, {"indent": 2, "ensure_ascii": False}), keep_backup=False)
            self._jsons[name] = path
            self._json_cache.pop(name, None)
            return
        data = self._json(name)
        if labels.shape != (data["imageHeight"], data["imageWidth"]):
            raise FormatError(f"{name}: labels are {labels.shape[1]}x{labels.shape[0]} but its labelme file says "
                              f"{data['imageWidth']}x{data['imageHeight']}")
        shapes = data["shapes"]
        masks = list(shape_masks(data, self.label_set, self._jsons[name].name))
        old = np.zeros(labels.shape, np.uint8)
        for cls, m in masks:
            old[m] = cls
        box = changed_box(old, labels)
        if box is None:
            return                                  # nothing changed: the file stays as it is
        sl = box.slices
        instances = [(k, cls, m[sl]) for k, (cls, m) in enumerate(masks) if m[sl].any()]
        diff = diff_instances(old[sl], labels[sl], instances, no_new=(0,), no_grow=(0,))
        gone = set()
        for k, crop in diff.updated.items():
            m = masks[k][1]
            m[sl] = crop
            if not m.any():
                gone.add(k)
                continue
            geo = shape_geometry(m)
            shape = shapes[k]
            if geo["shape_type"] != "mask":
                shape.pop("mask", None)
            shape.update(geo)
        new = []
        for cls, crop in diff.added:
            m = np.zeros(labels.shape, bool)
            m[sl] = crop
            geo = shape_geometry(m)
            new.append({"label": shape_label(self.label_set, cls), "points": geo["points"], "group_id": None,
                        "description": "", "shape_type": geo["shape_type"], "flags": {},
                        **({"mask": geo["mask"]} if "mask" in geo else {})})
        data["shapes"] = [s for k, s in enumerate(shapes) if k not in gone] + new
        path = self._jsons[name]
        self._keep(path)
        write_text(path, dumps(data, self._layouts[name]), keep_backup=False)
        self._json_stamp[name] = _stamp(path)

    def _write_classes(self, label_set: LabelSet) -> None:
        write_class_list(self.classes_file, label_set, labelme_style=True)
