"""A labelme folder as a dataset: ``<stem>.json`` beside (or pointing to) each image.

Items are the images of the folder and the JSON files (a JSON whose image lies elsewhere is
found through its ``imagePath``, or its embedded ``imageData``). Classes come from a
``labels.txt`` in the folder (labelme's ``--labels`` file), else from the labels the files use,
in first-seen order after background. Writing rewrites the item's JSON with one polygon per
region (see :mod:`segcore.formats.labelme`), keeping its other keys (flags, imagePath,
imageData) as they were, or creates it beside the image.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..fileio import read_json, write_text
from ..formats.labelme import label_set_used, labelme_image, labelme_to_labels, read_labelme, to_labelme
from ..labels import LabelSet
from .base import Dataset, list_images, natural_key
from .classes import read_class_list, write_class_list

__all__ = ["LabelmeDataset"]


class LabelmeDataset(Dataset):
    kind = "labelme"

    def __init__(self, root: Path):
        images = {p.stem: p for p in list_images(root)}
        with os.scandir(root) as it:
            jsons = {e.name[:-5]: Path(e.path) for e in it if e.name.endswith(".json") and e.is_file()
                     and not e.name.startswith(".")}
        names = sorted(set(images) | set(jsons), key=natural_key)
        self._images = images
        self._jsons = jsons
        self._json_cache: dict[str, dict] = {}
        self.classes_file = root / "labels.txt"
        super().__init__(root, names, root / ".segcore" / "status.json", read_class_list(self.classes_file))

    def _json(self, name: str) -> dict:
        if name not in self._json_cache:
            self._json_cache.clear()  # one file kept: embedded images make them large
            self._json_cache[name] = read_labelme(self._jsons[name])
        return self._json_cache[name]

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
        path = self._jsons.get(name, self.root / f"{name}.json")
        if name in self._jsons:
            out = dict(self._json(name))
            rel = out.get("imagePath") or ""
        else:
            rel = self._images[name].name
            out = {}
        new = to_labelme(labels, self.label_set, image_path=rel)
        if not out:
            out = new
        else:
            out.update(shapes=new["shapes"], imageHeight=new["imageHeight"], imageWidth=new["imageWidth"])
        self._keep(path)
        write_text(path, json.dumps(out, indent=2, ensure_ascii=False), keep_backup=False)
        self._jsons[name] = path
        self._json_cache.pop(name, None)

    def _write_classes(self, label_set: LabelSet) -> None:
        write_class_list(self.classes_file, label_set, labelme_style=True)
