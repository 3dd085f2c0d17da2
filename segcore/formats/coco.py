"""COCO JSON: one annotation per connected region of a class, and back to label maps.

Export scheme (what a training pipeline and pycocotools both read faithfully):

* categories: every class of the label set but the one named background (class 0 is a class
  like any other: CamVid's ``sky`` is kept), ``id`` = its label index where class 0 is the
  background, else its index + 1 (COCO and torchvision's detection references keep id 0 for
  background), so ids are stable whatever is present;
* a region without holes is a polygon list (``[[x1, y1, x2, y2, ...]]``, pixel-edge vertices,
  see :mod:`.regions`) that pycocotools rasterises back onto exactly its pixels;
* a region with holes cannot be a polygon (pycocotools unions polygons, filling the holes), so
  it is compressed RLE with ``iscrowd: 0``: it stays an ordinary instance (``iscrowd: 1`` would
  make COCO evaluation ignore it), and pycocotools decodes RLE whatever the flag;
* ``area`` and ``bbox`` are pycocotools' own, computed from the annotation's RLE.

Import reads polygons, uncompressed and compressed RLE, crowd or not; where instances
overlap, the smaller one is on top (the pixel shows its class; see :func:`paint_order`).
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
from .rle import annotation_crop, annotation_mask, annotation_rle, rle_string_counts, uncompressed_counts

__all__ = ["region_annotations", "to_coco", "write_coco", "read_coco", "is_coco", "from_coco",
           "annotation_rle", "annotation_mask", "annotation_crop", "mask_geometry", "rle_area_bbox",
           "paint_order", "paint_annotations", "image_size_of", "category_ids", "rle_string_counts",
           "coco_label_set"]


def _rle_of(region, shape) -> dict:
    rle = mask_utils.encode(np.asfortranarray(region.full_mask(shape).astype(np.uint8)))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def category_ids(label_set: LabelSet) -> dict[int, int]:
    """``{class index: COCO category id}`` for every class but background (module doc)."""
    bg = label_set.background
    shift = 0 if bg == 0 else 1
    return {k: k + shift for k in range(len(label_set)) if k != bg}


def region_annotations(labels: np.ndarray, label_set: LabelSet, image_id: int,
                       first_id: int = 1) -> list[dict]:
    """COCO annotations for every region of every class but background and void."""
    h, w = labels.shape
    anns = []
    cats = category_ids(label_set)
    skip = (label_set.void_index,) + (() if label_set.background is None else (label_set.background,))
    for region in regions(labels, skip=skip):
        polys = None if has_holes(region.mask) else edge_polygons(region.mask, region.x0, region.y0)
        if polys:
            segmentation = [p.reshape(-1).tolist() for p in polys]
            rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, h, w))
        else:
            segmentation = _rle_of(region, (h, w))
            rle = dict(segmentation, counts=segmentation["counts"].encode("ascii"))
        anns.append({
            "id": first_id + len(anns), "image_id": image_id, "category_id": cats[region.label],
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
    categories = [{"id": cid, "name": label_set.names[k], "supercategory": "object"}
                  for k, cid in category_ids(label_set).items()]
    return {"info": {"description": "exported by segcore"}, "licenses": [], "images": images,
            "annotations": annotations, "categories": categories}


def write_coco(path: str | os.PathLike, items, label_set: LabelSet) -> Path:
    return write_text(path, json.dumps(to_coco(items, label_set)))


def read_coco(path: str | os.PathLike) -> dict:
    """Load a COCO JSON file and check its fields (:mod:`.schema`); errors name the file and
    the field."""
    from .schema import validate_coco

    data = read_json(path)
    if not is_coco(data):
        raise FormatError(f"{path} is not COCO: it needs images, annotations and categories")
    return validate_coco(data, Path(path).name)


def is_coco(data) -> bool:
    return isinstance(data, dict) and {"images", "annotations", "categories"} <= set(data)


def mask_geometry(mask: np.ndarray, like=None) -> dict:
    """``segmentation``, ``area`` and ``bbox`` of an ``(H, W)`` bool mask, in the form of the
    segmentation ``like`` (an annotation's old one): polygons along pixel edges where the mask
    has no holes and ``like`` is polygons (or None), else RLE (uncompressed where ``like``
    was)."""
    h, w = mask.shape
    as_polygons = like is None or isinstance(like, list)
    polys = edge_polygons(mask) if as_polygons and not has_holes(mask) else None
    if polys:
        segmentation = [p.reshape(-1).tolist() for p in polys]
        rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, h, w))
    else:
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        if isinstance(like, dict) and isinstance(like.get("counts"), list):
            segmentation = {"size": [h, w], "counts": uncompressed_counts(mask)}
        else:
            segmentation = {"size": [h, w], "counts": rle["counts"].decode("ascii")}
    return {"segmentation": segmentation, "area": float(mask_utils.area(rle)),
            "bbox": [float(v) for v in mask_utils.toBbox(rle)]}


def rle_area_bbox(rle: dict) -> tuple[int, list[float]]:
    """Pixel count and ``[x, y, w, h]`` of a pycocotools RLE, without decoding it."""
    return int(mask_utils.area(rle)), [float(v) for v in mask_utils.toBbox(rle)]


def paint_order(areas) -> list[int]:
    """The order instances are painted in: largest first, so the smaller instance of an
    overlap is on top (the rule COCO's panoptic conversions use); equal areas in file order."""
    return sorted(range(len(areas)), key=lambda k: -areas[k])


def paint_annotations(anns, height: int, width: int, cat_to_label: dict, void: int = 255,
                      name: str = "COCO file", overlap: np.ndarray | None = None,
                      fill: int = 0) -> np.ndarray:
    """Label map ``(H, W)`` uint8 of one image's annotations (``fill`` where none lies). Where
    instances overlap, the smaller one is on top (:func:`paint_order`): each pixel shows a real
    class, never void. ``overlap``, an ``(H, W)`` bool array if given, is set where two or more
    instances lie."""
    crops, classes = [], []
    for ann in anns:
        cls = cat_to_label.get(ann.get("category_id")) if isinstance(ann, dict) else None
        if cls is None or isinstance(ann.get("category_id"), bool):
            raise FormatError(f"{name}: annotation {ann.get('id') if isinstance(ann, dict) else '?'} has unknown "
                              f"category_id {ann.get('category_id') if isinstance(ann, dict) else ann!r}")
        crops.append(annotation_crop(ann, height, width, name))
        classes.append(cls)
    labels = np.full((height, width), fill, np.uint8)
    cover = np.zeros((height, width), np.uint8) if overlap is not None else None
    for k in paint_order([0 if c is None else int(c[0].sum()) for c in crops]):
        if crops[k] is None:
            continue
        crop, x0, y0 = crops[k]
        sl = slice(y0, y0 + crop.shape[0]), slice(x0, x0 + crop.shape[1])
        labels[sl][crop] = classes[k]
        if cover is not None:
            cover[sl][crop] = np.minimum(cover[sl][crop] + 1, 2)
    if overlap is not None:
        overlap[...] = cover >= 2
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
    categories by id). Overlaps show the smaller instance's class.
    """
    try:
        cats = sorted(data["categories"], key=lambda c: c["id"])
        if label_set is None:
            label_set = coco_label_set(cats)
        cat_to_label = {c["id"]: label_set.index_of(c["name"]) for c in cats}
        by_image: dict = {}
        for ann in data["annotations"]:
            by_image.setdefault(ann["image_id"], []).append(ann)
        out = {}
        for img in data["images"]:
            h, w = image_size_of(img, name)
            out[img["file_name"]] = paint_annotations(by_image.get(img["id"], []), h, w, cat_to_label,
                                                      label_set.void_index, name, fill=label_set.unlabelled)
    except FormatError as e:
        raise FormatError(str(e) if str(e).startswith(name) else f"{name}: {e}") from None
    except (KeyError, TypeError, AttributeError) as e:
        raise FormatError(f"{name}: malformed COCO entry ({e.__class__.__name__}: {e})") from None
    return out, label_set


def coco_label_set(categories) -> LabelSet:
    """The classes of a COCO file: background (what no annotation covers), then the categories
    by id (a category named background is that class)."""
    from ..labels import is_background_name

    cats = sorted(categories, key=lambda c: c["id"])
    return LabelSet(("background",) + tuple(c["name"] for c in cats if not is_background_name(c["name"])))
