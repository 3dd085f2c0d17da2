"""labelme JSON: shapes to label maps (as labelme's own converter draws them) and back.

Reading draws shapes in file order as labelme's ``shapes_to_label`` does (:mod:`.labelme_draw`);
a later shape paints over an earlier one, and a pixel no shape covers is the background class
(labelme's ``_background_``; void where the classes have none).

Writing gives one polygon per connected region (vertices at boundary pixel centres, which
PIL's filled-and-outlined polygon covers), or a ``mask`` shape where no polygon draws back
exactly; the file is checked to draw back onto exactly the label map. labelme polygons cannot have holes, so holes are
answered by drawing order: shapes are written largest first, and what fills a hole (another
class, or ``_background_`` for a background hole) comes after the region around it.
Void pixels are written as ``__ignore__`` shapes; where the classes have no background, every
pixel is covered by a shape (labelme reads an uncovered pixel as ``_background_``).
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..errors import FormatError
from ..fileio import read_json, write_text
from ..image import load
from ..labels import LabelSet, check_class_name, is_background_name
from .labelme_draw import (LINE_WIDTH, POINT_SIZE, image_size_of_labelme, labelme_to_labels, shape_crops,
                           shape_masks, shape_to_mask)
from .regions import centre_polygon, regions

__all__ = ["read_labelme", "is_labelme", "label_set_used", "labelme_to_labels", "shape_masks", "shape_label",
           "shape_geometry", "labelme_image", "to_labelme", "write_labelme", "shape_crops", "MASK_VERSION",
           "declare_version"]



#: The first labelme version that reads ``mask`` shapes (5.4.0, "ai_mask", labelme PR #1358).
MASK_VERSION = "5.4.0"


def declare_version(data: dict) -> None:
    """A file holding a ``mask`` shape says a labelme version that reads them (at least
    :data:`MASK_VERSION`); any other file keeps the version it says."""
    if not any(isinstance(s, dict) and s.get("shape_type") == "mask" for s in data.get("shapes", [])):
        return
    try:
        have = tuple(int(v) for v in str(data.get("version", "0")).split(".")[:3])
    except ValueError:
        have = (0,)
    if have < tuple(int(v) for v in MASK_VERSION.split(".")):
        data["version"] = MASK_VERSION


def read_labelme(path: str | os.PathLike) -> dict:
    """Load a labelme file and check its fields (:mod:`.schema`); errors name the file."""
    from .schema import validate_labelme

    data = read_json(path)
    if not is_labelme(data):
        raise FormatError(f"{path} is not a labelme file: it has no 'shapes'")
    return validate_labelme(data, Path(path).name)


def is_labelme(data) -> bool:
    return isinstance(data, dict) and "shapes" in data


def label_set_used(datas) -> LabelSet:
    """The classes labelme dicts use, in first-seen order after background (``__ignore__`` is
    void); malformed entries are passed over here and reported when their file is read."""
    seen: dict[str, None] = {}
    for d in datas:
        shapes = d.get("shapes", []) if isinstance(d, dict) else []
        for shape in shapes if isinstance(shapes, list) else []:
            label = shape.get("label") if isinstance(shape, dict) else None
            if not isinstance(label, str) or label == "__ignore__" or is_background_name(label):
                continue
            try:
                seen.setdefault(check_class_name(label))
            except FormatError:
                continue
    return LabelSet(("background",) + tuple(seen))


def shape_label(label_set: LabelSet, k: int) -> str:
    """The labelme label of class ``k``: ``__ignore__`` for void, ``_background_`` for the class
    named background, else the class name (a class 0 such as ``sky`` keeps its name)."""
    if k == label_set.void_index:
        return "__ignore__"
    if k == label_set.background:
        return "_background_"
    return label_set.names[k]


def shape_geometry(mask: np.ndarray) -> dict:
    """``points`` and ``shape_type`` (and ``mask``) of a shape that labelme draws onto exactly
    ``mask`` (``(H, W)`` bool): a polygon where one is exact, else a ``mask`` shape."""
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = mask[y0:y1, x0:x1]
    n = cv2.connectedComponents(crop.astype(np.uint8), connectivity=8)[0] - 1
    if n == 1:
        pts = centre_polygon(crop, int(x0), int(y0))
        while len(pts) < 3:
            pts = np.vstack([pts, pts[-1:]])
        if _polygon_is_exact(pts, crop, int(x0), int(y0)):
            return {"points": pts.astype(float).tolist(), "shape_type": "polygon"}
    m = _mask_shape_of(crop, int(x0), int(y0), "")
    return {"points": m["points"], "shape_type": "mask", "mask": m["mask"]}


def _mask_shape_of(mask: np.ndarray, x0: int, y0: int, label: str) -> dict:
    buf = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255, mode="L").save(buf, format="PNG")
    h, w = mask.shape
    return {"label": label, "points": [[float(x0), float(y0)], [float(x0 + w - 1), float(y0 + h - 1)]],
            "group_id": None, "description": "", "shape_type": "mask", "flags": {},
            "mask": base64.b64encode(buf.getvalue()).decode("ascii")}


def _polygon_is_exact(pts: np.ndarray, mask: np.ndarray, x0: int, y0: int) -> bool:
    """Whether labelme draws the polygon onto exactly ``mask`` (a crop at ``x0, y0``)."""
    h, w = mask.shape
    drawn = shape_to_mask((h, w), (pts - (x0, y0)).tolist(), "polygon")
    return bool(np.array_equal(drawn, mask))


def labelme_image(data: dict, json_path: str | os.PathLike | None = None) -> np.ndarray | None:
    """The RGB image of a labelme file: embedded ``imageData``, else ``imagePath`` beside it."""
    if data.get("imageData"):
        try:
            return load(base64.b64decode(data["imageData"]))
        except (ValueError, TypeError):
            raise FormatError("imageData is not valid base64") from None
    if data.get("imagePath") and json_path is not None:
        p = Path(json_path).parent / data["imagePath"]
        if p.is_file():
            return load(p)
    return None


def to_labelme(labels: np.ndarray, label_set: LabelSet, image_path: str = "",
               image: np.ndarray | None = None) -> dict:
    """A labelme dict that labelme draws back onto exactly ``labels``; ``image`` (RGB) is
    embedded if given.

    One polygon per region where labelme's drawing of it is exactly the region (holes filled
    by shapes drawn after it); a ``mask`` shape (labelme 5.4+) where no polygon is, such as
    1-pixel-wide arms that a polygon through pixel centres cannot trace.
    """
    h, w = labels.shape
    bg = label_set.background
    found = []
    for region in regions(labels, skip=()):
        if region.label == bg:  # background: only where it is a hole inside something else
            rh, rw = region.mask.shape
            if region.x0 == 0 or region.y0 == 0 or region.x0 + rw == w or region.y0 + rh == h:
                continue
        found.append((region, shape_label(label_set, region.label)))

    shapes = []
    for region, name in found:
        filled = _fill_holes(region.mask)
        pts = centre_polygon(filled, region.x0, region.y0)
        while len(pts) < 3:  # one- and two-pixel regions: labelme wants 3 points
            pts = np.vstack([pts, pts[-1:]])
        if _polygon_is_exact(pts, filled, region.x0, region.y0):
            shape = {"label": name, "points": pts.astype(float).tolist(), "group_id": None,
                     "description": "", "shape_type": "polygon", "flags": {}}
        else:
            shape = _mask_shape_of(filled, region.x0, region.y0, name)
        shapes.append((int(filled.sum()), shape))
    shapes.sort(key=lambda s: -s[0])  # stable: larger first, so hole fillers come later
    data = {"version": "5.5.0", "flags": {}, "shapes": [s for _, s in shapes], "imagePath": image_path,
            "imageData": None, "imageHeight": int(h), "imageWidth": int(w)}
    drawn = labelme_to_labels(data, label_set)
    if not np.array_equal(drawn, labels):
        # A filled outline overpaints a hole whose pixels connect diagonally to a region
        # outside it (8- against 4-connectivity). Exact masks of just those pixels, drawn
        # last, put them back; they touch nothing else.
        bad = drawn != labels
        for cls in np.unique(labels[bad]).tolist():
            n, comp = cv2.connectedComponents((bad & (labels == cls)).astype(np.uint8), connectivity=8)
            for j in range(1, n):
                ys, xs = np.nonzero(comp == j)
                y0, x0 = int(ys.min()), int(xs.min())
                crop = comp[y0:ys.max() + 1, x0:xs.max() + 1] == j
                data["shapes"].append(_mask_shape_of(crop, x0, y0, shape_label(label_set, cls)))
    if image is not None:
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="PNG")
        data["imageData"] = base64.b64encode(buf.getvalue()).decode("ascii")
    return data


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    from scipy.ndimage import binary_fill_holes

    return binary_fill_holes(mask)


def write_labelme(path: str | os.PathLike, labels: np.ndarray, label_set: LabelSet,
                  image_path: str = "", image: np.ndarray | None = None) -> Path:
    return write_text(path, json.dumps(to_labelme(labels, label_set, image_path, image), indent=1))
