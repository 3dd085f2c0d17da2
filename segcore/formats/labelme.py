"""labelme JSON: shapes to label maps (as labelme's own converter draws them) and back.

Reading draws shapes in file order with PIL, as labelme's ``shapes_to_label`` does: polygons
and rectangles filled with their outline, circles from centre and rim point, lines and
linestrips 10 px wide, points as 5 px discs; a later shape paints over an earlier one.

Writing gives one polygon per connected region (vertices at boundary pixel centres, which
PIL's filled-and-outlined polygon covers), or a ``mask`` shape where no polygon draws back
exactly; the file is checked to draw back onto exactly the label map. labelme polygons cannot have holes, so holes are
answered by drawing order: shapes are written largest first, and what fills a hole (another
class, or ``_background_`` for a background hole) comes after the region around it.
Void pixels are written as ``__ignore__`` shapes.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from ..errors import FormatError
from ..fileio import read_json, write_text
from ..image import load
from ..labels import LabelSet, check_class_name
from .regions import centre_polygon, regions

__all__ = ["read_labelme", "is_labelme", "label_set_used", "labelme_to_labels", "shape_masks", "shape_label",
           "shape_geometry", "labelme_image", "to_labelme", "write_labelme"]

LINE_WIDTH = 10
POINT_SIZE = 5


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
            if not isinstance(label, str) or label in ("__ignore__", "_background_", "background", "__background__"):
                continue
            try:
                seen.setdefault(check_class_name(label))
            except FormatError:
                continue
    return LabelSet(("background",) + tuple(seen))


def _shape_mask(size: tuple[int, int], points, shape_type: str) -> np.ndarray:
    h, w = size
    im = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(im)
    xy = [tuple(map(float, p)) for p in points]
    if shape_type == "circle":
        (cx, cy), (px, py) = xy[:2]
        d = math.hypot(cx - px, cy - py)
        draw.ellipse([cx - d, cy - d, cx + d, cy + d], outline=1, fill=1)
    elif shape_type == "rectangle":
        (x0, y0), (x1, y1) = xy[:2]
        draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], outline=1, fill=1)
    elif shape_type in ("line", "linestrip"):
        draw.line(xy=xy, fill=1, width=LINE_WIDTH)
    elif shape_type == "point":
        cx, cy = xy[0]
        draw.ellipse([cx - POINT_SIZE, cy - POINT_SIZE, cx + POINT_SIZE, cy + POINT_SIZE], outline=1, fill=1)
    else:
        draw.polygon(xy=xy, outline=1, fill=1)
    return np.asarray(im, dtype=bool)


def _size(data: dict, name: str) -> tuple[int, int]:
    try:
        h, w = int(data["imageHeight"]), int(data["imageWidth"])
    except (KeyError, TypeError, ValueError, OverflowError):
        raise FormatError(f"{name}: imageHeight and imageWidth are missing") from None
    if not (0 < h and 0 < w and h * w <= 50_000_000):
        raise FormatError(f"{name}: impossible image size {w}x{h}")
    if not isinstance(data.get("shapes"), list):
        raise FormatError(f"{name}: 'shapes' is not a list")
    return h, w


def shape_masks(data: dict, label_set: LabelSet, name: str = "labelme file"):
    """Every shape of a labelme dict as ``(class, (H, W) bool mask)``, in file order (a later
    shape is drawn over an earlier one); unknown labels and bad shapes fail."""
    h, w = _size(data, name)
    for i, shape in enumerate(data["shapes"]):
        try:
            cls = label_set.index_of(shape["label"])
            kind = shape.get("shape_type") or "polygon"
            if kind == "mask":
                yield cls, _mask_shape(shape, h, w)
                continue
            need = {"circle": 2, "rectangle": 2, "line": 2, "linestrip": 2, "point": 1}.get(kind, 3)
            if len(shape["points"]) < need:
                raise FormatError(f"a {kind} needs {need} points, it has {len(shape['points'])}")
            pts = np.asarray(shape["points"], dtype=np.float64)
            if pts.ndim != 2 or pts.shape[1] != 2:
                raise FormatError("points must be [x, y] pairs")
            if not np.isfinite(pts).all() or np.abs(pts).max() > 4 * max(h, w) + 16:
                raise FormatError("its points are not finite or lie far outside the image")
            m = _shape_mask((h, w), shape["points"], kind)
        except FormatError as e:
            raise FormatError(f"{name}: shape {i}: {e}") from None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            raise FormatError(f"{name}: shape {i} is malformed ({e.__class__.__name__}: {e})") from None
        yield cls, m


def labelme_to_labels(data: dict, label_set: LabelSet, name: str = "labelme file") -> np.ndarray:
    """Label map ``(H, W)`` uint8 of a labelme dict; unknown labels and bad shapes fail."""
    labels = np.zeros(_size(data, name), np.uint8)
    for cls, m in shape_masks(data, label_set, name):
        labels[m] = cls
    return labels


def shape_label(label_set: LabelSet, k: int) -> str:
    """The labelme label of class ``k``: ``__ignore__`` for void, ``_background_`` for a class 0
    named as background, else the class name (a class 0 such as ``sky`` keeps its name)."""
    if k == label_set.void_index:
        return "__ignore__"
    if k == 0 and label_set.names[0] in ("background", "_background_", "__background__"):
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


def _mask_shape(shape: dict, h: int, w: int) -> np.ndarray:
    """A ``mask`` shape (labelme 5.3+): an inclusive box ``[[x1, y1], [x2, y2]]`` and a base64
    PNG of the mask inside it."""
    (x1, y1), (x2, y2) = np.asarray(shape["points"], dtype=float).astype(int)[:2]
    try:
        with Image.open(io.BytesIO(base64.b64decode(shape["mask"]))) as im:
            crop = np.asarray(im).astype(bool)
    except Exception as e:
        raise FormatError(f"its mask is not a base64 PNG ({e.__class__.__name__})") from None
    if crop.ndim == 3:
        crop = crop.any(-1)
    if not (0 <= x1 <= x2 < w and 0 <= y1 <= y2 < h) or crop.shape != (y2 - y1 + 1, x2 - x1 + 1):
        raise FormatError(f"its mask of {crop.shape[1]}x{crop.shape[0]} does not fit its box "
                          f"{x1},{y1} to {x2},{y2} in the {w}x{h} image")
    out = np.zeros((h, w), bool)
    out[y1:y2 + 1, x1:x2 + 1] = crop
    return out


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
    drawn = _shape_mask((h, w), (pts - (x0, y0)).tolist(), "polygon")
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
    by shapes drawn after it); a ``mask`` shape (labelme 5.3+) where no polygon is, such as
    1-pixel-wide arms that a polygon through pixel centres cannot trace.
    """
    h, w = labels.shape
    void = label_set.void_index
    found = []
    for region in regions(labels, skip=()):
        if region.label == 0:  # background: only where it is a hole inside something else
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
        bg_code = next(c for c in range(1, 256) if c != void and not (bad & (labels == c)).any())
        wrong = np.where(bad, np.where(labels == 0, bg_code, labels), 0).astype(np.uint8)
        for region in regions(wrong, skip=(0,)):
            cls = 0 if region.label == bg_code else region.label
            data["shapes"].append(_mask_shape_of(region.mask, region.x0, region.y0, shape_label(label_set, cls)))
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
