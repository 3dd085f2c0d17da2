"""``open_dataset(path)``: recognise a dataset from its files, without decoding any image."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FormatError
from ..fileio import read_json
from ..formats.coco import is_coco
from ..formats.labelme import is_labelme
from .base import Dataset, list_images
from .coco import CocoDataset
from .labelme import LabelmeDataset
from .png import open_folder, open_voc

__all__ = ["open_dataset"]


def _kind(path) -> str | None:
    """"labelme", "coco" or None (another JSON, or one that does not parse: not ours to judge)."""
    try:
        data = read_json(path)
    except FormatError:
        return None
    return "labelme" if is_labelme(data) else "coco" if is_coco(data) else None


def open_dataset(path: str | os.PathLike, images: str | os.PathLike | None = None) -> Dataset:
    """Open a VOC root, a COCO JSON file (``images``: the folder of its images, if not beside
    it or in ``images/``), a labelme folder, or a plain folder of images."""
    path = Path(path).expanduser()
    if not path.exists():
        raise FormatError(f"{path} does not exist; give a dataset folder or a COCO JSON file")
    if path.is_file():
        if path.suffix.lower() != ".json":
            raise FormatError(f"{path} is a file; give a dataset folder or a COCO JSON file")
        data = read_json(path)
        if is_coco(data):
            return CocoDataset(path, images)
        if is_labelme(data):
            raise FormatError(f"{path} is one labelme file; open its folder, {path.parent}")
        raise FormatError(f"{path} is not a COCO file: it needs images, annotations and categories")
    if (path / "JPEGImages").is_dir():
        return open_voc(path)
    with os.scandir(path) as it:
        jsons = sorted(e.path for e in it if e.name.endswith(".json") and e.is_file() and not e.name.startswith("."))
    if jsons:
        kinds = {j: _kind(j) for j in jsons}
        if "labelme" in kinds.values():
            return LabelmeDataset(path)
        cocos = [j for j, k in kinds.items() if k == "coco"]
        if len(cocos) == 1:
            return CocoDataset(Path(cocos[0]), images)
        if len(cocos) > 1:
            raise FormatError(f"{path} holds {len(cocos)} COCO files; open one of them, e.g. {cocos[0]}")
    if not list_images(path):
        raise FormatError(f"{path} holds no images (.jpg, .png, ...), no JPEGImages folder, "
                          "no labelme or COCO JSON")
    return open_folder(path)
