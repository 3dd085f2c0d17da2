"""A COCO JSON file as a dataset: its images are the items, labels are written back into it.

Classes: background (what no annotation covers), then the categories by id (index ``k`` is the
``k``-th category, whatever its id). An item opens as objects, one per annotation (id: the
annotation id; the annotation's other keys carried through); its class map is drawn from them
with the smaller object on top where they overlap (:mod:`segcore.objects.objects`) unless
segcore saved another draw order for the item (a reorder, a new object: kept in the status
file beside, never in the COCO file), and :meth:`CocoDataset.overlap` says where two lie.

Polygon annotations open as polygon objects (their vertices kept, their pixels pycocotools'
rasterisation); RLE ones as mask objects. Writing objects back changes only what changed: an
annotation whose object has the same class, pixels and vertices stays the same dict with the
same bytes; a changed polygon object is written with its own vertices (and the polygons' area
and extent as ``area`` and ``bbox``); a changed mask object gets a new ``segmentation`` (in the
form it had: pixel-exact polygons or RLE), ``area`` and ``bbox``; each keeps its id and every
other key; a new class changes ``category_id`` alone; a deleted object's annotation is removed; a new
object becomes a new annotation (ids after the largest in the file). A class map written to
an item is turned into object changes first (:func:`segcore.objects.apply_class_map`). The
file is written back with the JSON layout it was read in (indent, separators, ASCII), so
untouched entries keep their bytes where the original was written as Python's ``json``
writes. An image with no annotations counts as unlabelled until segcore has written it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
from ..errors import FormatError
from ..fileio import read_json, write_text
from ..formats.rle import annotation_rle, rle_crop, rle_string_counts_many
from ..formats.coco import (coco_label_set, image_size_of, is_coco, mask_geometry, paint_order,
                            read_coco, to_coco)
from ..labels import LabelSet
from ..objects import IdSource, Obj, ObjMask, Objects, Polygon
from .base import Dataset, ExportItem, place_image
from .instances import InstanceMixin
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


def coco_polygon(segmentation) -> Polygon | None:
    """The vertices of a polygon ``segmentation`` (the file's own numbers), None for RLE."""
    if not isinstance(segmentation, list):
        return None
    parts = [list(zip(p[0::2], p[1::2])) for p in segmentation if isinstance(p, list)]
    return Polygon(parts, "coco") if parts else None


def geometry(o: Obj, shape, like=None) -> dict:
    """``segmentation``, ``area`` and ``bbox`` of an object: a polygon object's own vertices
    (``area`` the polygons' area and ``bbox`` their extent, as COCO's polygon annotations give
    them, to 1/100 pixel), else its mask (:func:`mask_geometry`, in the form of ``like``)."""
    if o.polygon is not None and o.polygon.rule == "coco":
        return {"segmentation": o.polygon.coco_segmentation(), "area": round(o.polygon.area(), 2),
                "bbox": [round(v, 2) for v in o.polygon.extent()]}
    return mask_geometry(o.mask.full(shape), like=like)


@register_format("coco", priority=20)
class CocoDataset(InstanceMixin, Dataset):
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
                label_set = coco_label_set(cats)
            self._cat_to_label = {c["id"]: label_set.index_of(c["name"]) for c in cats}
        except FormatError as e:
            raise FormatError(f"{name}: categories: {e}") from None
        self._label_to_cat = {v: k for k, v in self._cat_to_label.items()}
        #: New annotation ids, for the whole file: after the largest, never one handed out twice.
        self._ids = IdSource(1 + max((a["id"] for a in self.data["annotations"]
                                      if isinstance(a.get("id"), int)), default=0))
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
        self._ids.see(*(a["id"] for a in self.data["annotations"] if isinstance(a.get("id"), int)))
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

    _GEOMETRY = ("segmentation", "area", "bbox")

    def _objects(self, i: int) -> Objects:
        img = self._images[i]
        h, w = image_size_of(img, self.json_path.name)
        name = self.json_path.name
        anns, classes, rles = self._by_image.get(img["id"], []), [], []
        for ann in anns:
            cid = ann.get("category_id")
            cls = self._cat_to_label.get(cid) if not isinstance(cid, bool) else None
            if cls is None:
                raise FormatError(f"{name}: annotation {ann.get('id')} has unknown category_id {cid!r}")
            classes.append(cls)
            rles.append(annotation_rle(ann, h, w, name))
        counts = rle_string_counts_many([r["counts"] for r in rles])     # one pass for the image
        objs = []
        for ann, cls, c in zip(anns, classes, counts):
            got = rle_crop(c, h, w)
            if got is None:
                continue            # no pixel: not an object, and kept in the file as it is
            crop, x0, y0 = got
            objs.append(Obj(ann["id"], cls, ObjMask(crop, (x0, y0, x0 + crop.shape[1], y0 + crop.shape[0])),
                            {k: v for k, v in ann.items() if k not in self._GEOMETRY},
                            polygon=coco_polygon(ann.get("segmentation"))))
        saved = self.item_info(i).get("order")
        if saved is not None and sorted(saved) == sorted(o.id for o in objs):
            rank = {v: k for k, v in enumerate(saved)}
            objs.sort(key=lambda o: rank[o.id])
        else:
            objs = [objs[k] for k in paint_order([o.area for o in objs])]
        return Objects((h, w), self.label_set, objs, ids=self._ids)

    def _write_objects(self, i: int, objects: Objects) -> dict:
        img = self._images[i]
        h, w = image_size_of(img, self.json_path.name)
        anns = self._by_image.get(img["id"], [])
        by_id = {a.get("id"): a for a in anns}
        disk = self._on_disk(i)
        for o in objects:
            if o.cls not in self._label_to_cat:
                raise FormatError(f"class {objects.name_of(o)} has no COCO category; a COCO file cannot hold it")
        taken = {a.get("id") for a in self.data["annotations"]}
        keep, changed, new, mapping = set(), False, [], {}
        for o in objects:
            ann = by_id.get(o.id)
            old = disk.get(o.id)
            if ann is not None:
                keep.add(o.id)
                if old is not None and old.same_content(o):
                    continue
                if old is None or not old.mask.same(o.mask) or old.polygon != o.polygon:
                    ann.update(geometry(o, (h, w), like=ann.get("segmentation")))
                if old is None or old.cls != o.cls:
                    ann["category_id"] = self._label_to_cat[o.cls]
                changed = True
                continue
            oid = o.id
            if oid in taken or not isinstance(oid, int) or oid < 1:
                oid = self._ids.take()
                while oid in taken:
                    oid = self._ids.take()
                mapping[o.id] = oid
            self._ids.see(oid)
            taken.add(oid)
            extra = {k: v for k, v in o.fields.items() if k not in ("id", "image_id", "category_id", "iscrowd")
                     and k not in self._GEOMETRY}
            ann = {"id": oid, "image_id": img["id"], "category_id": self._label_to_cat[o.cls],
                   **geometry(o, (h, w)), "iscrowd": 0, **extra}
            if o.score is not None and "score" not in ann:
                ann["score"] = float(o.score)
            new.append(ann)
        gone = {id(a) for a in anns if a.get("id") in disk and a.get("id") not in keep}
        if gone:
            self.data["annotations"] = [a for a in self.data["annotations"] if id(a) not in gone]
        self.data["annotations"] += new
        self._by_image[img["id"]] = [a for a in anns if id(a) not in gone] + new
        if changed or gone or new:
            self._save()
        written = objects.renumbered(mapping)
        self._remember(i, written)
        self._save_order(i, written)
        return mapping

    def _save_order(self, i: int, objects: Objects) -> None:
        """Keep the draw order in the status file where the reading rule would not give it."""
        anns = self._by_image.get(self._images[i]["id"], [])
        pos = {a.get("id"): k for k, a in enumerate(anns)}
        ids = [o.id for o in objects]
        by_rule = [o.id for o in sorted(objects, key=lambda o: pos.get(o.id, 0))]
        by_rule = [by_rule[k] for k in paint_order([objects.find(v).area for v in by_rule])]
        self.set_item_info(i, order=None if ids == by_rule else ids)

    def _save(self) -> None:
        self._keep(self.json_path)
        write_text(self.json_path, dumps(self.data, self._layout), keep_backup=False)
        self._stamp = _stamp(self.json_path)

    def _write_classes(self, label_set: LabelSet) -> None:
        cats = self.data["categories"]
        for k, name in enumerate(label_set.names):
            if k == label_set.background or k in self._label_to_cat:
                if self.label_set is not None and (k >= len(self.label_set) or self.label_set.names[k] != name):
                    raise FormatError("COCO classes can be added, not renamed or reordered")
                continue
            cid = 1 + max((int(c["id"]) for c in cats), default=0)
            cats.append({"id": cid, "name": name, "supercategory": "object"})
            self._label_to_cat[k] = cid
            self._cat_to_label[cid] = k
        self._save()
