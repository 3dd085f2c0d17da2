"""COCO JSON: one annotation per connected region of a class, and back to label maps.

Export scheme (what a training pipeline and pycocotools both read faithfully):

* categories: every class of the label set but background, ``id`` = its label index, so ids
  are stable whatever is present;
* a region without holes is a polygon list (``[[x1, y1, x2, y2, ...]]``, pixel-edge vertices,
  see :mod:`.regions`) that pycocotools rasterises back onto exactly its pixels;
* a region with holes cannot be a polygon (pycocotools unions polygons, filling the holes), so
  it is compressed RLE with ``iscrowd: 0``: it stays an ordinary instance (``iscrowd: 1`` would
  make COCO evaluation ignore it), and pycocotools decodes RLE whatever the flag;
* ``area`` and ``bbox`` are pycocotools' own, computed from the annotation's RLE.

Import reads polygons, uncompressed and compressed RLE, crowd or not; where regions of
different classes overlap, the pixel becomes void (255).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from ..errors import FormatError
from ..fileio import read_json, write_text
from ..labels import LabelSet
from .regions import edge_polygons, has_holes, regions

__all__ = ["region_annotations", "to_coco", "write_coco", "read_coco", "is_coco", "from_coco",
           "annotation_mask", "paint_annotations", "image_size_of"]


def _rle_of(region, shape) -> dict:
    rle = mask_utils.encode(np.asfortranarray(region.full_mask(shape).astype(np.uint8)))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def region_annotations(labels: np.ndarray, label_set: LabelSet, image_id: int,
                       first_id: int = 1) -> list[dict]:
    """COCO annotations for every region of every class but background and void."""
    h, w = labels.shape
    anns = []
    for region in regions(labels, skip=(0, label_set.void_index)):
        polys = None if has_holes(region.mask) else edge_polygons(region.mask, region.x0, region.y0)
        if polys:
            segmentation = [p.reshape(-1).tolist() for p in polys]
            rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, h, w))
        else:
            segmentation = _rle_of(region, (h, w))
            rle = dict(segmentation, counts=segmentation["counts"].encode("ascii"))
        anns.append({
            "id": first_id + len(anns), "image_id": image_id, "category_id": region.label,
            "segmentation": segmentation, "area": float(mask_utils.area(rle)),
            "bbox": [float(v) for v in mask_utils.toBbox(rle)], "iscrowd": 0,
        })
    return anns


def to_coco(items, label_set: LabelSet) -> dict:
    """``items``: iterable of ``(file_name, labels)``; returns one COCO dataset dict."""
    images, annotations = [], []
    for image_id, (file_name, labels) in enumerate(items, start=1):
        h, w = labels.shape
        images.append({"id": image_id, "file_name": str(file_name), "height": int(h), "width": int(w)})
        annotations += region_annotations(labels, label_set, image_id, first_id=len(annotations) + 1)
    categories = [{"id": i, "name": n, "supercategory": "object"}
                  for i, n in enumerate(label_set.names) if i != 0]
    return {"info": {"description": "exported by segcore"}, "licenses": [], "images": images,
            "annotations": annotations, "categories": categories}


def write_coco(path: str | os.PathLike, items, label_set: LabelSet) -> Path:
    return write_text(path, json.dumps(to_coco(items, label_set)))


def read_coco(path: str | os.PathLike) -> dict:
    """Load and check a COCO JSON file; errors name the file and the problem."""
    data = read_json(path)
    if not is_coco(data):
        raise FormatError(f"{path} is not COCO: it needs images, annotations and categories")
    return data


def is_coco(data) -> bool:
    return isinstance(data, dict) and {"images", "annotations", "categories"} <= set(data)


def annotation_mask(ann: dict, height: int, width: int, name: str = "COCO file") -> np.ndarray:
    """``(H, W)`` bool mask of one annotation (polygons, uncompressed or compressed RLE), decoded
    by pycocotools as ``COCO.annToMask`` does; a malformed segmentation raises FormatError."""
    seg = ann.get("segmentation")
    try:
        if isinstance(seg, list):
            polys = [p for p in seg if isinstance(p, list)]
            if not polys or any(len(p) < 6 or len(p) % 2 for p in polys):
                raise ValueError("a polygon needs at least 3 x, y pairs")
            arr = np.asarray([v for p in polys for v in p], dtype=np.float64)
            if not np.isfinite(arr).all():
                raise ValueError("polygon coordinates must be finite")
            rle = mask_utils.merge(mask_utils.frPyObjects(polys, height, width))
        elif isinstance(seg, dict) and isinstance(seg.get("counts"), list):
            rle = mask_utils.frPyObjects(seg, height, width)
        elif isinstance(seg, dict) and isinstance(seg.get("counts"), (str, bytes)):
            rle = dict(seg)
            if isinstance(rle["counts"], str):
                rle["counts"] = rle["counts"].encode("ascii")
        else:
            raise ValueError("segmentation is neither polygons nor RLE")
        size = rle.get("size")
        if size is not None and [int(v) for v in size] != [height, width]:
            raise ValueError(f"its size {size} is not the image's {[height, width]}")
        m = mask_utils.decode(rle)
    except FormatError:
        raise
    except Exception as e:
        raise FormatError(f"{name}: annotation {ann.get('id')} has a malformed segmentation "
                          f"({e.__class__.__name__}: {e})") from None
    if m.shape != (height, width):
        raise FormatError(f"{name}: annotation {ann.get('id')} decodes to {m.shape[1]}x{m.shape[0]}, "
                          f"not the image's {width}x{height}")
    return m.astype(bool)


def paint_annotations(anns, height: int, width: int, cat_to_label: dict, void: int,
                      name: str = "COCO file") -> np.ndarray:
    """Label map ``(H, W)`` uint8 of one image's annotations; overlaps of classes become void."""
    labels = np.zeros((height, width), np.uint8)
    owner = np.full((height, width), -1, np.int16)
    for ann in anns:
        cls = cat_to_label.get(ann.get("category_id"))
        if cls is None:
            raise FormatError(f"{name}: annotation {ann.get('id')} has unknown category_id "
                              f"{ann.get('category_id')}")
        m = annotation_mask(ann, height, width, name)
        clash = m & (owner >= 0) & (owner != cls)
        owner[m & (owner < 0)] = cls
        labels[m] = cls
        labels[clash | (m & (owner == 255))] = void
        owner[clash] = 255
    return labels


def image_size_of(img: dict, name: str = "COCO file") -> tuple[int, int]:
    """``(H, W)`` of a COCO image entry; missing or non-positive sizes raise FormatError."""
    try:
        h, w = int(img["height"]), int(img["width"])
    except (KeyError, TypeError, ValueError):
        raise FormatError(f"{name}: image {img.get('id')} has no valid height and width") from None
    if h <= 0 or w <= 0 or h * w > 50_000_000:
        raise FormatError(f"{name}: image {img.get('id')} has an impossible size {w}x{h}")
    return h, w


def from_coco(data: dict, label_set: LabelSet | None = None, name: str = "COCO file"
              ) -> tuple[dict[str, np.ndarray], LabelSet]:
    """``{file_name: labels (H, W) uint8}`` and the label set used.

    Without ``label_set``, one is made from the categories (background first, then the
    categories by id). Overlaps between classes become void.
    """
    try:
        cats = sorted(data["categories"], key=lambda c: c["id"])
        if label_set is None:
            label_set = LabelSet(("background",) + tuple(c["name"] for c in cats if c["name"] != "background"))
        cat_to_label = {c["id"]: label_set.index_of(c["name"]) for c in cats}
        by_image: dict = {}
        for ann in data["annotations"]:
            by_image.setdefault(ann["image_id"], []).append(ann)
        out = {}
        for img in data["images"]:
            h, w = image_size_of(img, name)
            out[img["file_name"]] = paint_annotations(by_image.get(img["id"], []), h, w, cat_to_label,
                                                      label_set.void_index, name)
    except FormatError as e:
        raise FormatError(str(e) if str(e).startswith(name) else f"{name}: {e}") from None
    except (KeyError, TypeError, AttributeError) as e:
        raise FormatError(f"{name}: malformed COCO entry ({e.__class__.__name__}: {e})") from None
    return out, label_set
