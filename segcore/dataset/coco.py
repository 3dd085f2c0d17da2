"""A COCO JSON file as a dataset: its images are the items, labels are written back into it.

Classes: background, then the categories by id (index ``k`` is the ``k``-th category, whatever
its id). Writing an item replaces that image's annotations with exact polygons (RLE for
regions with holes, see :mod:`segcore.formats.coco`) and leaves every other entry as it was:
the file is parsed and written back with the same JSON layout, so other images' entries keep
their bytes where the original was written as Python's ``json`` writes. An image with no
annotations counts as unlabelled until segcore has written it (its status says so).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..fileio import write_text
from ..formats.coco import image_size_of, paint_annotations, read_coco, region_annotations
from ..labels import LabelSet
from .base import Dataset
from .status import LABELLED

__all__ = ["CocoDataset"]


def _layout(text: str) -> dict:
    """json.dumps arguments that reproduce the file's layout (indent, separators, ASCII)."""
    kw: dict = {"ensure_ascii": text.isascii()}
    lines = text.lstrip().splitlines()
    if len(lines) > 1 and lines[1][:1] in (" ", "\t"):
        second = lines[1]
        kw["indent"] = "\t" if second[0] == "\t" else len(second) - len(second.lstrip(" "))
    elif '":' in text[:2000] and '": ' not in text[:2000]:
        kw["separators"] = (",", ":")
    return kw


class CocoDataset(Dataset):
    kind = "coco"

    def __init__(self, json_path: Path, images: Path | None = None):
        self.json_path = Path(json_path)
        text = self.json_path.read_text(encoding="utf-8") if self.json_path.is_file() else ""
        self._layout = _layout(text)
        self.data = read_coco(self.json_path)
        name = self.json_path.name
        try:
            self._images = list(self.data["images"])
            cats = sorted(self.data["categories"], key=lambda c: c["id"])
            self._by_image: dict = {}
            for ann in self.data["annotations"]:
                self._by_image.setdefault(ann["image_id"], []).append(ann)
            file_names = [str(img["file_name"]) for img in self._images]
            if len({img["id"] for img in self._images}) != len(self._images):
                raise FormatError(f"{name}: two images share an id")
        except (KeyError, TypeError, AttributeError) as e:
            raise FormatError(f"{name}: malformed COCO entry ({e.__class__.__name__}: {e})") from None
        if len(set(file_names)) != len(file_names):
            raise FormatError(f"{name}: two images share a file_name")
        names = ["background"] + [str(c["name"]) for c in cats if str(c["name"]) != "background"]
        label_set = LabelSet(tuple(names))
        self._cat_to_label = {c["id"]: label_set.index_of(str(c["name"])) for c in cats}
        self._label_to_cat = {v: k for k, v in self._cat_to_label.items()}
        folder = self.json_path.parent
        candidates = [Path(images)] if images is not None else [folder, folder / "images"]
        if images is not None and not Path(images).is_dir():
            raise FormatError(f"images folder {images} does not exist")
        self._image_dirs = candidates
        super().__init__(folder, file_names, folder / ".segcore" / f"{self.json_path.stem}.status.json",
                         label_set)

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

    def _read(self, i: int) -> np.ndarray:
        img = self._images[i]
        h, w = image_size_of(img, self.json_path.name)
        return paint_annotations(self._by_image.get(img["id"], []), h, w, self._cat_to_label,
                                 self.label_set.void_index, self.json_path.name)

    def _write(self, i: int, labels: np.ndarray) -> None:
        img = self._images[i]
        for k in range(len(self.label_set)):
            if k and k not in self._label_to_cat:
                raise FormatError(f"class {self.label_set.names[k]} has no COCO category")
        first = 1 + max((int(a["id"]) for a in self.data["annotations"] if isinstance(a.get("id"), int)), default=0)
        new = region_annotations(labels, self.label_set, img["id"], first_id=first)
        for a in new:
            a["category_id"] = self._label_to_cat[a["category_id"]]
        old = {id(a) for a in self._by_image.get(img["id"], [])}
        self.data["annotations"] = [a for a in self.data["annotations"] if id(a) not in old] + new
        self._by_image[img["id"]] = new
        self._save()

    def _save(self) -> None:
        self._keep(self.json_path)
        write_text(self.json_path, json.dumps(self.data, **self._layout), keep_backup=False)

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
