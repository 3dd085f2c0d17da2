"""A COCO JSON file as a dataset: its images are the items, labels are written back into it.

Classes: background, then the categories by id (index ``k`` is the ``k``-th category, whatever
its id). Reading paints an image's annotations; where instances overlap the smaller one is on
top (:func:`segcore.formats.coco.paint_order`), and :meth:`CocoDataset.overlap` says where.

Writing changes only what the edit changed (:mod:`.diff`): an annotation with no changed
pixel stays the same object with the same bytes; one that lost pixels to another class or
gained touching pixels of its own gets a new ``segmentation``, ``area`` and ``bbox`` and keeps
its id and every other key; new regions become new annotations (ids after the largest);
overlaps outside the change stay. The file is written back with the JSON layout it was read
in (indent, separators, ASCII), so untouched entries keep their bytes where the original was
written as Python's ``json`` writes. An image with no annotations counts as unlabelled until
segcore has written it (its status says so).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from ..errors import FormatError
from ..fileio import read_json, write_text
from ..formats.coco import (annotation_rle, image_size_of, is_coco, mask_geometry, paint_annotations,
                            read_coco, to_coco)
from ..labels import LabelSet
from .base import Dataset, ExportItem, place_image
from .diff import changed_box, diff_instances
from .jsonfile import dumps, json_layout
from .registry import register_format
from .status import LABELLED

__all__ = ["CocoDataset"]


def _stamp(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def json_kind(path) -> str | None:
    """"labelme", "coco" or None (another JSON, or one that does not parse: not ours to judge)."""
    from ..formats.labelme import is_labelme

    try:
        data = read_json(path)
    except FormatError:
        return None
    return "labelme" if is_labelme(data) else "coco" if is_coco(data) else None


def _jsons(folder: Path) -> list[str]:
    with os.scandir(folder) as it:
        return sorted(e.path for e in it if e.name.endswith(".json") and e.is_file() and not e.name.startswith("."))


@register_format("coco", priority=20)
class CocoDataset(Dataset):
    def __init__(self, json_path: Path, images: Path | None = None, label_set: LabelSet | None = None):
        self.json_path = Path(json_path)
        self._load()
        name = self.json_path.name
        cats = sorted(self.data["categories"], key=lambda c: c["id"])
        file_names = [img["file_name"] for img in self._images]
        if len({img["id"] for img in self._images}) != len(self._images):
            raise FormatError(f"{name}: two images share an id")
        if len(set(file_names)) != len(file_names):
            raise FormatError(f"{name}: two images share a file_name")
        if len({c["id"] for c in cats}) != len(cats):
            raise FormatError(f"{name}: two categories share an id")
        try:
            if label_set is None:
                label_set = LabelSet(("background",) + tuple(c["name"] for c in cats if c["name"] != "background"))
            self._cat_to_label = {c["id"]: label_set.index_of(c["name"]) for c in cats}
        except FormatError as e:
            raise FormatError(f"{name}: categories: {e}") from None
        self._label_to_cat = {v: k for k, v in self._cat_to_label.items()}
        folder = self.json_path.parent
        if images is not None and not Path(images).is_dir():
            raise FormatError(f"images folder {images} does not exist")
        self._image_dirs = [Path(images)] if images is not None else [folder, folder / "images"]
        super().__init__(folder, file_names, folder / ".segcore" / f"{self.json_path.stem}.status.json",
                         label_set)

    def _load(self) -> None:
        """Read the file (again): its images, annotations by image, and layout."""
        text = self.json_path.read_text(encoding="utf-8") if self.json_path.is_file() else ""
        self._stamp = _stamp(self.json_path)
        self._layout = json_layout(text)
        self.data = read_coco(self.json_path)
        self._images = list(self.data["images"])
        self._by_image: dict = {}
        for ann in self.data["annotations"]:
            self._by_image.setdefault(ann["image_id"], []).append(ann)

    def refresh(self, i: int | None = None) -> None:
        """Read the file again if another process or program wrote it since (every save
        does so under the lock first, so it changes only its own item of what is there)."""
        super().refresh(i)
        if _stamp(self.json_path) == self._stamp:
            return
        self._load()
        by_name = {img["file_name"]: img for img in self._images}
        self._images = [by_name.get(n, {"id": None, "file_name": n}) for n in self._names]
        for c in sorted(self.data["categories"], key=lambda c: c["id"]):   # classes another server added
            if c["id"] not in self._cat_to_label and c["name"] != "background":
                ls = self.label_set
                k = ls.names.index(c["name"]) if c["name"] in ls.names else None
                if k is None:
                    from ..labels import voc_colormap

                    color = tuple(int(v) for v in voc_colormap()[len(ls) % 256])
                    self._label_set = ls = LabelSet(ls.names + (c["name"],), ls.colors + (color,), ls.void_index,
                                                    ls.void_color)
                    k = len(ls) - 1
                self._cat_to_label[c["id"]] = k
                self._label_to_cat[k] = c["id"]

    def item_digest(self, i: int) -> str:
        """A hash of the item's own annotations (other items' changes leave it as it is)."""
        i = self._check(i)
        if not self._has_label_file(i):
            return ""
        anns = sorted(self._by_image.get(self._images[i]["id"], []), key=lambda a: str(a.get("id")))
        return hashlib.sha1(json.dumps(anns, sort_keys=True).encode("utf-8")).hexdigest()

    # -- the format ---------------------------------------------------------------------
    @classmethod
    def detect(cls, path: Path) -> bool:
        if path.is_file():
            return path.suffix.lower() == ".json" and json_kind(path) == "coco"
        if not path.is_dir():
            return False
        kinds = [json_kind(j) for j in _jsons(path)]
        return "labelme" not in kinds and "coco" in kinds

    @classmethod
    def open(cls, path: Path, images: Path | None = None, label_set: LabelSet | None = None) -> "CocoDataset":
        path = Path(path)
        if path.is_dir():
            cocos = [j for j in _jsons(path) if json_kind(j) == "coco"]
            if len(cocos) > 1:
                raise FormatError(f"{path} holds {len(cocos)} COCO files; open one of them, e.g. {cocos[0]}")
            path = Path(cocos[0])
        return cls(path, images, label_set)

    @classmethod
    def export(cls, items: list[ExportItem], out: Path, label_set: LabelSet, notes: list | None = None,
               images: bool = True) -> Path:
        """``out``: the JSON file; the images are copied to ``images/`` beside it (written as
        PNG where the item has no file), and each ``file_name`` is its name there, extension
        included (``images=False``: the JSON alone, with the same names)."""
        out = Path(out)
        folder = out.parent / "images"
        names, seen = [], set()
        for it in items:
            fn = it.file_name
            if fn in seen:
                fn = f"{it.name}{Path(fn).suffix}"
            seen.add(fn)
            names.append(fn)
        data = to_coco(zip(names, (it.labels for it in items)), label_set)
        missing = [it.name for fn, it in zip(names, items) if images and not place_image(it, folder / fn)]
        path = write_text(out, dumps(data, {}))
        if missing and notes is not None:
            notes.append(f"no image found for {len(missing)} item(s), e.g. {missing[0]}; their file_name "
                             f"points into {folder} but nothing is there (give the folder of the images)")
        return path

    # -- items --------------------------------------------------------------------------
    def image_path(self, i: int) -> Path:
        fn = self._names[i]
        for d in self._image_dirs:
            p = d / fn
            if p.is_file():
                return p
            if (d / Path(fn).name).is_file():
                return d / Path(fn).name
        return self._image_dirs[0] / fn

    def image_size(self, i: int):
        return image_size_of(self._images[i], self.json_path.name)

    def label_files(self, i: int) -> list[Path]:
        return [self.json_path]

    def _has_label_file(self, i: int) -> bool:
        return bool(self._by_image.get(self._images[i]["id"])) or \
            self._status.get(self._names[i]) in LABELLED

    def _paint(self, i: int, overlap: np.ndarray | None = None) -> np.ndarray:
        img = self._images[i]
        h, w = image_size_of(img, self.json_path.name)
        return paint_annotations(self._by_image.get(img["id"], []), h, w, self._cat_to_label,
                                 self.label_set.void_index, self.json_path.name, overlap)

    def _read(self, i: int) -> np.ndarray:
        return self._paint(i)

    def overlap(self, i: int) -> np.ndarray | None:
        i = self._check(i)
        if not self._has_label_file(i):
            return None
        h, w = self.image_size(i)
        out = np.zeros((h, w), bool)
        self._paint(i, out)
        return out

    # -- writing the difference ---------------------------------------------------------
    def _write(self, i: int, labels: np.ndarray) -> None:
        img = self._images[i]
        for k in np.unique(labels).tolist():
            if k and k != self.label_set.void_index and k not in self._label_to_cat:
                raise FormatError(f"class {self.label_set.names[k]} has no COCO category")
        anns = self._by_image.get(img["id"], [])
        old = self._read(i)
        box = changed_box(old, labels)
        if box is None:
            return                                  # nothing changed: the file stays as it is
        h, w = labels.shape
        name = self.json_path.name
        sl = box.slices
        rles = [annotation_rle(a, h, w, name) for a in anns]
        near = [k for k, r in enumerate(rles) if box.meets(mask_utils.toBbox(r))]
        full = {k: mask_utils.decode(rles[k]).astype(bool) for k in near}
        instances = [(k, self._cat_to_label[anns[k]["category_id"]], full[k][sl]) for k in near]
        diff = diff_instances(old[sl], labels[sl], instances, no_new=(0, self.label_set.void_index))
        gone = set()
        for k, crop in diff.updated.items():
            m = full[k]
            m[sl] = crop
            if not m.any():
                gone.add(id(anns[k]))
                continue
            anns[k].update(mask_geometry(m, like=anns[k]["segmentation"]))
        first = 1 + max((a["id"] for a in self.data["annotations"]), default=0)
        new = []
        for cls, crop in diff.added:
            m = np.zeros((h, w), bool)
            m[sl] = crop
            new.append({"id": first + len(new), "image_id": img["id"], "category_id": self._label_to_cat[cls],
                        **mask_geometry(m), "iscrowd": 0})
        if gone:
            self.data["annotations"] = [a for a in self.data["annotations"] if id(a) not in gone]
        self.data["annotations"] += new
        self._by_image[img["id"]] = [a for a in anns if id(a) not in gone] + new
        self._save()

    def _save(self) -> None:
        self._keep(self.json_path)
        write_text(self.json_path, dumps(self.data, self._layout), keep_backup=False)
        self._stamp = _stamp(self.json_path)

    def _write_classes(self, label_set: LabelSet) -> None:
        cats = self.data["categories"]
        for k, name in enumerate(label_set.names):
            if k == 0 or k in self._label_to_cat:
                if k and self.label_set is not None and self.label_set.names[k] != name:
                    raise FormatError("COCO classes can be added, not renamed or reordered")
                continue
            cid = 1 + max((int(c["id"]) for c in cats), default=0)
            cats.append({"id": cid, "name": name, "supercategory": "object"})
            self._label_to_cat[k] = cid
            self._cat_to_label[cid] = k
        self._save()
