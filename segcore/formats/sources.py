"""Read any supported annotation source into items, and write items in any format.

A source is a label-map PNG or a folder of them, a COCO JSON, a labelme JSON or a folder of
them, or a VOC root (``SegmentationClass/`` inside). What it holds is recognised from it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..fileio import read_json
from ..image import image_size, load
from ..labels import LabelSet
from . import coco, labelme, voc

__all__ = ["Item", "read_source", "write_items", "infer_label_set", "FORMATS"]

FORMATS = ("voc", "coco", "labelme")
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass
class Item:
    """One annotated image: ``labels`` ``(H, W)`` uint8; the image as a path and/or pixels."""

    name: str
    labels: np.ndarray
    image_path: Path | None = None
    image: np.ndarray | None = None

    def rgb(self) -> np.ndarray | None:
        if self.image is None and self.image_path is not None:
            self.image = load(self.image_path)
        return self.image


def _find_image(folder: Path | None, name: str) -> Path | None:
    if folder is None:
        return None
    direct = folder / name
    if direct.suffix.lower() in IMAGE_EXTS and direct.is_file():
        return direct
    stem = Path(name).stem
    return next((folder / f"{stem}{e}" for e in IMAGE_EXTS if (folder / f"{stem}{e}").is_file()), None)


def _read_json(path: Path, label_set: LabelSet, images: Path | None) -> list[Item]:
    data = read_json(path)
    if labelme.is_labelme(data):
        labels = labelme.labelme_to_labels(data, label_set, str(path))
        rgb = labelme.labelme_image(data, path)
        return [Item(path.stem, labels, None, rgb)]
    if coco.is_coco(data):
        maps, _ = coco.from_coco(data, label_set, str(path))
        return [Item(Path(fn).stem, lab, _find_image(images or path.parent, fn)) for fn, lab in maps.items()]
    raise FormatError(f"{path} is neither COCO (images, annotations, categories) nor labelme (shapes)")


def _class_list_near(folder: Path) -> LabelSet | None:
    for name in ("labels.txt", "class_names.txt"):
        if (folder / name).is_file():
            return LabelSet.from_file(folder / name)
    return None


def _palette_is_voc(path: Path) -> bool:
    """Whether a label PNG's palette gives every value it uses VOC's colour (names unknown)."""
    from PIL import Image

    from ..labels import voc_colormap

    with Image.open(path) as im:
        if im.mode != "P":
            return False
        pal = np.asarray(im.getpalette()[:768], np.uint8).reshape(-1, 3)
        used = [v for v in np.unique(np.asarray(im)) if v != 255]
    cmap = voc_colormap()
    return bool(used) and max(used) < 21 and all((pal[v] == cmap[v]).all() for v in used)


def infer_label_set(src: str | os.PathLike) -> LabelSet:
    """The classes a source names itself: a COCO file's categories; a labelme folder's
    labels.txt or the labels its files use; a labels.txt / class_names.txt beside label PNGs
    (or in a VOC root); VOC's 21 only where the PNGs' palette is VOC's. Otherwise an error
    asks for the class list, rather than naming the classes wrongly."""
    from ..dataset.labelme import LabelmeDataset

    src = Path(src)
    if not src.exists():
        raise FormatError(f"{src} does not exist")
    folder = src if src.is_dir() else src.parent
    if src.is_file() and src.suffix.lower() == ".json":
        data = read_json(src)
        if coco.is_coco(data):
            return coco.from_coco(data, None, str(src))[1]
        if labelme.is_labelme(data):
            found = _class_list_near(folder) or labelme.label_set_used([data])
            return found
        raise FormatError(f"{src} is neither COCO (images, annotations, categories) nor labelme (shapes)")
    found = _class_list_near(folder) or (_class_list_near(folder.parent) if folder.name == "SegmentationClass"
                                         else None)
    if found is not None:
        return found
    jsons = sorted(folder.glob("*.json")) if src.is_dir() else []
    if jsons:
        if labelme.is_labelme(read_json(jsons[0])):
            return LabelmeDataset(folder).label_set
        return infer_label_set(jsons[0])
    pngs = [src] if src.is_file() else sorted((src / "SegmentationClass").glob("*.png")) or sorted(src.glob("*.png"))
    if pngs and all(_palette_is_voc(p) for p in pngs[:20]):
        return LabelSet.voc()
    raise FormatError(f"cannot tell the classes of {src}: no labels.txt beside it and its palette is not "
                      "VOC's; give the class list (a labels file, one name per line, or voc)")


def read_source(src: str | os.PathLike, label_set: LabelSet | None, images: str | os.PathLike | None = None
                ) -> list[Item]:
    """Every item of ``src``; ``label_set`` None: the classes the source names itself
    (see :func:`infer_label_set`)."""
    if label_set is None:
        label_set = infer_label_set(src)
    src = Path(src)
    images = Path(images) if images else None
    if images is not None and not images.is_dir():
        raise FormatError(f"images folder {images} is not a folder")
    if not src.exists():
        raise FormatError(f"{src} does not exist")
    if src.is_file():
        if src.suffix.lower() == ".json":
            return _read_json(src, label_set, images)
        return [Item(src.stem, voc.read_label_map(src, label_set), _find_image(images, src.stem))]
    if (src / "SegmentationClass").is_dir():
        return [Item(n, lab, img) for n, img, lab in voc.read_voc_dataset(src, label_set)]
    items: list[Item] = []
    for p in sorted(src.iterdir()):
        if p.suffix.lower() == ".json":
            items += _read_json(p, label_set, images)
        elif p.suffix.lower() == ".png" and not p.name.endswith("_overlay.png"):
            items.append(Item(p.stem, voc.read_label_map(p, label_set), _find_image(images, p.stem)))
    if not items:
        raise FormatError(f"{src} holds no label maps (.png), labelme or COCO files (.json)")
    return items


def _check_sizes(items: list[Item]) -> None:
    """Images and masks must agree; a file's size comes from its header, not its pixels."""
    for it in items:
        if it.image is not None:
            size = it.image.shape[:2]
        elif it.image_path is not None:
            size = image_size(it.image_path)
        else:
            continue
        if tuple(size) != it.labels.shape:
            raise FormatError(f"{it.name}: image {size[1]}x{size[0]} and mask "
                              f"{it.labels.shape[1]}x{it.labels.shape[0]} differ in size")


def write_items(items: list[Item], fmt: str, out: str | os.PathLike, label_set: LabelSet) -> Path:
    """voc: a dataset folder; coco: one JSON file; labelme: a folder of JSON files."""
    out = Path(out)
    _check_sizes(items)
    if fmt == "voc":
        missing = [it.name for it in items if it.rgb() is None]
        if missing:
            raise FormatError(f"a VOC dataset needs the images; none found for {', '.join(missing[:3])}: "
                              "give the folder of the images")
        return voc.write_voc_dataset(out, [(it.name, it.rgb(), it.labels) for it in items], label_set)
    if fmt == "coco":
        names = [it.image_path.name if it.image_path else f"{it.name}.jpg" for it in items]
        return coco.write_coco(out, zip(names, (it.labels for it in items)), label_set)
    if fmt == "labelme":
        for it in items:
            rel = os.path.relpath(it.image_path, out) if it.image_path else f"{it.name}.jpg"
            embed = it.rgb() if it.image_path is None else None
            labelme.write_labelme(out / f"{it.name}.json", it.labels, label_set, rel, embed)
        return out
    raise FormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
