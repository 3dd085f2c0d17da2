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

__all__ = ["region_annotations", "to_coco", "write_coco", "read_coco", "is_coco", "from_coco",
           "annotation_rle", "annotation_mask", "mask_geometry", "rle_area_bbox", "paint_order",
           "paint_annotations", "image_size_of"]


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
    """Load a COCO JSON file and check its fields (:mod:`.schema`); errors name the file and
    the field."""
    from .schema import validate_coco

    data = read_json(path)
    if not is_coco(data):
        raise FormatError(f"{path} is not COCO: it needs images, annotations and categories")
    return validate_coco(data, Path(path).name)


def is_coco(data) -> bool:
    return isinstance(data, dict) and {"images", "annotations", "categories"} <= set(data)


def rle_string_counts(counts: str | bytes) -> list[int]:
    """The run lengths of a compressed COCO RLE string (pycocotools' ``rleFrString``).

    Written out here because pycocotools decodes without bounds checks: counts that sum past
    the image would be written past its buffer. Each count is 5-bit chunks (+48, bit 0x20:
    more follows, bit 0x10 of the last: negative), from the third on a delta to the count two
    before it.
    """
    data = counts.encode("ascii") if isinstance(counts, str) else bytes(counts)
    out: list[int] = []
    p = 0
    while p < len(data):
        x, k, more = 0, 0, True
        while more:
            if p >= len(data):
                raise ValueError("the RLE string is truncated")
            c = data[p] - 48
            if not 0 <= c < 64:
                raise ValueError("the RLE string has a character outside its alphabet")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(out) > 2:
            x += out[-2]
        out.append(x)
    return out


def _check_rle(counts: list, height: int, width: int) -> None:
    if any((not isinstance(c, (int, np.integer))) or c < 0 for c in counts):
        raise ValueError("RLE counts must be whole numbers of at least 0")
    if sum(int(c) for c in counts) != height * width:
        raise ValueError(f"RLE counts add up to {sum(int(c) for c in counts)}, not the image's "
                         f"{height}x{width} = {height * width} pixels")


def annotation_rle(ann: dict, height: int, width: int, name: str = "COCO file") -> dict:
    """pycocotools RLE of one annotation (polygons, uncompressed or compressed RLE), checked
    first (pycocotools itself does not bound its input); a malformed one raises FormatError."""
    seg = ann.get("segmentation") if isinstance(ann, dict) else None
    try:
        if isinstance(seg, list):
            polys = [p for p in seg if isinstance(p, list)]
            if not polys or any(len(p) < 6 or len(p) % 2 for p in polys):
                raise ValueError("a polygon needs at least 3 x, y pairs")
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) for p in polys for v in p):
                raise ValueError("polygon coordinates must be numbers")
            arr = np.asarray([v for p in polys for v in p], dtype=np.float64)
            if not np.isfinite(arr).all():
                raise ValueError("polygon coordinates must be finite")
            # pycocotools walks every edge pixel: a far-away vertex would take forever
            if np.abs(arr).max() > 4 * max(height, width) + 16:
                raise ValueError("polygon coordinates lie far outside the image")
            return mask_utils.merge(mask_utils.frPyObjects([[float(v) for v in p] for p in polys], height, width))
        if isinstance(seg, dict) and isinstance(seg.get("counts"), list):
            _check_size(seg, height, width)
            _check_rle(seg["counts"], height, width)
            return mask_utils.frPyObjects(seg, height, width)
        if isinstance(seg, dict) and isinstance(seg.get("counts"), (str, bytes)):
            _check_size(seg, height, width)
            _check_rle(rle_string_counts(seg["counts"]), height, width)
            counts = seg["counts"]
            return {"size": [height, width], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
        raise ValueError("segmentation is neither polygons nor RLE")
    except FormatError:
        raise
    except Exception as e:
        raise FormatError(f"{name}: annotation {ann.get('id') if isinstance(ann, dict) else '?'} has a "
                          f"malformed segmentation ({e.__class__.__name__}: {e})") from None


def annotation_mask(ann: dict, height: int, width: int, name: str = "COCO file") -> np.ndarray:
    """``(H, W)`` bool mask of one annotation, decoded by pycocotools as ``COCO.annToMask``
    does; a malformed segmentation raises FormatError."""
    rle = annotation_rle(ann, height, width, name)
    try:
        m = mask_utils.decode(rle)
    except Exception as e:
        raise FormatError(f"{name}: annotation {ann.get('id')} has a malformed segmentation "
                          f"({e.__class__.__name__}: {e})") from None
    if m.shape != (height, width):
        raise FormatError(f"{name}: annotation {ann.get('id')} decodes to {m.shape[1]}x{m.shape[0]}, "
                          f"not the image's {width}x{height}")
    return m.astype(bool)


def _uncompressed_counts(mask: np.ndarray) -> list[int]:
    """COCO's uncompressed RLE counts of a mask: run lengths in column-major order, from 0s."""
    flat = mask.ravel(order="F").astype(np.int8)
    edges = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], edges, [flat.size]])
    runs = np.diff(bounds).tolist()
    return ([0] + runs) if flat.size and flat[0] else runs


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
            segmentation = {"size": [h, w], "counts": _uncompressed_counts(mask)}
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


def _check_size(seg: dict, height: int, width: int) -> None:
    size = seg.get("size")
    if not (isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(v, int) for v in size)):
        raise ValueError("an RLE needs its size [height, width]")
    if list(size) != [height, width]:
        raise ValueError(f"its size {list(size)} is not the image's {[height, width]}")


def paint_annotations(anns, height: int, width: int, cat_to_label: dict, void: int = 255,
                      name: str = "COCO file", overlap: np.ndarray | None = None) -> np.ndarray:
    """Label map ``(H, W)`` uint8 of one image's annotations. Where instances overlap, the
    smaller one is on top (:func:`paint_order`): each pixel shows a real class, never void.
    ``overlap``, an ``(H, W)`` bool array if given, is set where two or more instances lie."""
    rles, classes = [], []
    for ann in anns:
        cls = cat_to_label.get(ann.get("category_id")) if isinstance(ann, dict) else None
        if cls is None or isinstance(ann.get("category_id"), bool):
            raise FormatError(f"{name}: annotation {ann.get('id') if isinstance(ann, dict) else '?'} has unknown "
                              f"category_id {ann.get('category_id') if isinstance(ann, dict) else ann!r}")
        rles.append(annotation_rle(ann, height, width, name))
        classes.append(cls)
    labels = np.zeros((height, width), np.uint8)
    cover = np.zeros((height, width), np.uint8) if overlap is not None else None
    for k in paint_order([int(mask_utils.area(r)) for r in rles]):
        m = mask_utils.decode(rles[k]).astype(bool)
        labels[m] = classes[k]
        if cover is not None:
            cover[m] = np.minimum(cover[m] + 1, 2)
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
