"""A labelme folder as a dataset: ``<stem>.json`` beside (or pointing to) each image.

Items are the images of the folder and the JSON files (a JSON whose image lies elsewhere is
found through its ``imagePath``, or its embedded ``imageData``); one labelme JSON file opens
as a dataset of one item. Classes come from a ``labels.txt`` in the folder (labelme's
``--labels`` file), else from the labels the files use, in first-seen order after background.

An item opens as objects, one per shape (id: the shape's 1-based position in the file as
this dataset first read it; new shapes get ids after the largest; a shape that covers no pixel
is no object and stays in the file as it is). The draw order is the file order. ``polygon``
and ``rectangle`` shapes open as polygon objects (their points kept, their pixels labelme's
drawing); the other kinds as mask objects.

Writing objects back changes only what changed: a shape whose object has the same class,
pixels and vertices is kept as it was (the same dict, the same bytes); a changed polygon
object is written with its own ``points`` (a rectangle keeps its two); a changed mask object
gets new ``points`` (a polygon where one draws exactly, else a ``mask`` shape); each keeps its group_id, flags,
description and other keys; a new class changes ``label`` alone; a deleted object's shape is
removed; new objects become new shapes at their place in the draw order (on top: at the end); a
reorder moves the shapes. A file that gains a ``mask`` shape declares a labelme version that
reads them (5.4.0). The file keeps its other keys and its JSON layout. An item without a JSON
gets one beside its image (see :mod:`segcore.formats.labelme`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..fileio import read_json, write_text
from ..formats.labelme import (declare_version, label_set_used, labelme_image, read_labelme, shape_crops,
                               shape_geometry, shape_label, to_labelme)
from ..labels import LabelSet
from ..objects import IdSource, Obj, ObjMask, Objects, Polygon
from .base import Dataset, ExportItem, list_images, natural_key, place_image
from .classes import read_class_list, write_class_list
from .instances import InstanceMixin
from .jsonfile import dumps, json_layout
from .registry import register_format

__all__ = ["LabelmeDataset"]


def labelme_polygon(shape: dict) -> Polygon | None:
    """The vertices of a ``polygon`` or ``rectangle`` shape (the file's own numbers); None for
    the other kinds (circles, lines, points, masks stay mask objects)."""
    kind = shape.get("shape_type") or "polygon"
    pts = shape.get("points")
    if kind not in ("polygon", "rectangle") or not isinstance(pts, list) or len(pts) < (3 if kind == "polygon" else 2):
        return None
    return Polygon([[(p[0], p[1]) for p in (pts if kind == "polygon" else pts[:2])]], "labelme", kind)


def geometry(o: Obj, shape) -> dict:
    """``points`` and ``shape_type`` of an object's shape: a polygon object's own vertices, else
    a shape that labelme draws onto exactly its mask (:func:`shape_geometry`)."""
    if o.polygon is not None and o.polygon.rule == "labelme":
        return {"points": o.polygon.labelme_points(), "shape_type": o.polygon.kind}
    return shape_geometry(o.mask.full(shape))


def _file_stamp(path: Path):
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


@register_format("labelme", priority=10)
class LabelmeDataset(InstanceMixin, Dataset):
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
        self._root_stamp = _file_stamp(root)
        self._images = images
        self._jsons = jsons
        self._json_cache: dict[str, dict] = {}
        self._json_stamp: dict[str, tuple] = {}
        self._layouts: dict[str, dict] = {}
        self._shape_ids: dict[str, tuple] = {}      # name -> (file stamp, id of each shape)
        self._id_sources: dict[str, IdSource] = {}  # name -> new ids of that item
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
            self._json_stamp[name] = _file_stamp(path)
            self._json_cache[name] = read_labelme(path)
            self._layouts[name] = json_layout(path.read_text(encoding="utf-8"))
        return self._json_cache[name]

    def refresh(self, i: int | None = None) -> None:
        super().refresh(i)
        if i is None:
            names = list(self._json_cache)
            if self._only is None and _file_stamp(self.root) != self._root_stamp:   # a file came or went
                self._root_stamp = _file_stamp(self.root)
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
            if name in self._json_cache and (path is None or _file_stamp(path) != self._json_stamp.get(name)):
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

    # -- objects ------------------------------------------------------------------------
    @staticmethod
    def _stamp(path: Path) -> tuple:
        st = path.stat()
        return st.st_mtime_ns, st.st_size

    def _ids_of(self, name: str, n: int) -> list[int]:
        """The id of each of the file's ``n`` shapes: as this dataset last read or wrote it
        (while the file is unchanged), else their 1-based positions."""
        stamp = self._stamp(self._jsons[name])
        rec = self._shape_ids.get(name)
        if rec is None or rec[0] != stamp or len(rec[1]) != n:
            rec = (stamp, list(range(1, n + 1)))
            self._shape_ids[name] = rec
        return rec[1]

    def _id_source(self, name: str, ids) -> IdSource:
        src = self._id_sources.setdefault(name, IdSource(1))
        src.see(*ids)
        return src

    def _objects(self, i: int) -> Objects:
        name = self._names[i]
        if name not in self._jsons:
            size = self.image_size(i)
            if size is None:
                from ..errors import ImageError
                raise ImageError(f"{name} has neither labels nor a readable image")
            return Objects(size, self.label_set, (), ids=self._id_source(name, ()), keeps_void=True,
                           polygon_rule="labelme")
        data = self._json(name)
        ids = self._ids_of(name, len(data["shapes"]))
        items = []
        for k, (cls, got) in enumerate(shape_crops(data, self.label_set, self._jsons[name].name)):
            if got is None:
                continue        # draws no pixel: not an object; the file keeps it as it is
            crop, x0, y0 = got
            shape = data["shapes"][k]
            items.append(Obj(ids[k], cls, ObjMask(crop, (x0, y0, x0 + crop.shape[1], y0 + crop.shape[0])),
                             {key: v for key, v in shape.items() if key not in ("points", "mask")},
                             polygon=labelme_polygon(shape)))
        return Objects((int(data["imageHeight"]), int(data["imageWidth"])), self.label_set, items,
                       ids=self._id_source(name, ids), keeps_void=True, polygon_rule="labelme")

    def _new_shape(self, o: Obj, shape) -> dict:
        geo = geometry(o, shape)
        out = {"label": shape_label(self.label_set, o.cls), "points": geo["points"], "group_id": None,
               "description": "", "shape_type": geo["shape_type"], "flags": {}}
        if "mask" in geo:
            out["mask"] = geo["mask"]
        for k, v in o.fields.items():
            out.setdefault(k, v)
        return out

    def _write_objects(self, i: int, objects: Objects) -> dict:
        name = self._names[i]
        if name not in self._jsons:
            return self._write_new(i, objects)
        try:
            return self._write_back(i, objects)
        except Exception:
            self._json_cache.pop(name, None)    # the cached dict may be half changed: read it again
            raise

    def _write_back(self, i: int, objects: Objects) -> dict:
        name = self._names[i]
        path = self._jsons[name]
        data = self._json(name)
        rec = self._shape_ids.get(name)
        if rec is not None and rec[0] != self._stamp(path):
            raise FormatError(f"{path.name} changed on disk since it was opened; open the item again")
        if (data["imageHeight"], data["imageWidth"]) != objects.shape:
            raise FormatError(f"{name}: objects are {objects.shape[1]}x{objects.shape[0]} but its labelme file says "
                              f"{data['imageWidth']}x{data['imageHeight']}")
        shapes = data["shapes"]
        ids = self._ids_of(name, len(shapes))
        pos = {v: k for k, v in enumerate(ids)}
        disk = self._on_disk(i)
        changed, mapping, final = False, {}, []
        for o in objects:
            k = pos.get(o.id)
            if k is not None and o.id in disk:
                shape, old = shapes[k], disk[o.id]
                if not old.same_content(o):
                    changed = True
                    if not old.mask.same(o.mask) or old.polygon != o.polygon:
                        geo = geometry(o, objects.shape)
                        if geo["shape_type"] != "mask":
                            shape.pop("mask", None)
                        shape.update(geo)
                    if old.cls != o.cls:
                        shape["label"] = shape_label(self.label_set, o.cls)
                final.append((o.id, shape))
                continue
            oid = o.id
            if oid in pos or oid in mapping.values():
                oid = objects.ids.take()
                while oid in pos:
                    oid = objects.ids.take()
                mapping[o.id] = oid
            final.append((oid, self._new_shape(o, objects.shape)))
            changed = True
        kept = {v for v, _ in final}
        if any(v in disk and v not in kept for v in ids):
            changed = True                                  # deleted objects
        # shapes that draw nothing stay, each after the shape it followed in the file
        for k, v in enumerate(ids):
            if v not in disk:
                before = next((j for j in range(k - 1, -1, -1) if ids[j] in kept), None)
                at = 0 if before is None else 1 + next(n for n, (u, _) in enumerate(final) if u == ids[before])
                final.insert(at, (v, shapes[k]))
                kept.add(v)
        if [v for v, _ in final] != [v for v in ids if v in kept]:
            changed = True                                  # reordered
        written = objects.renumbered(mapping)
        if changed:
            data["shapes"] = [s for _, s in final]
            declare_version(data)
            self._keep(path)
            write_text(path, dumps(data, self._layouts[name]), keep_backup=False)
            self._shape_ids[name] = (self._stamp(path), [v for v, _ in final])
            self._json_stamp[name] = _file_stamp(path)
        self._remember(i, written)
        return mapping

    def _write_new(self, i: int, objects: Objects) -> dict:
        """An item without a JSON: one beside its image, a shape per object in draw order."""
        name = self._names[i]
        path = self.root / f"{name}.json"
        shapes = [self._new_shape(o, objects.shape) for o in objects]
        image = self._images.get(name)
        data = {"version": "5.5.0", "flags": {}, "shapes": shapes, "imagePath": image.name if image else "",
                "imageData": None, "imageHeight": objects.shape[0], "imageWidth": objects.shape[1]}
        declare_version(data)
        self._keep(path)
        write_text(path, dumps(data, {"indent": 2, "ensure_ascii": False}), keep_backup=False)
        self._jsons[name] = path
        self._json_cache.pop(name, None)
        self._shape_ids[name] = (self._stamp(path), [o.id for o in objects])
        self._remember(i, objects)
        return {}

    def _write_classes(self, label_set: LabelSet) -> None:
        write_class_list(self.classes_file, label_set, labelme_style=True)
