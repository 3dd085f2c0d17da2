"""labelme shapes drawn as labelme's own converter draws them (``labelme.utils.shape_to_mask``):
polygons and rectangles filled with their outline, circles from centre and rim point, lines
and linestrips 10 px wide, points as 5 px discs, ``mask`` shapes (labelme 5.4+) as their PNG in
their box; a later shape paints over an earlier one.

Each shape is drawn with PIL on one canvas of the image's size (the same coordinates labelme
uses, so the pixels are labelme's: a shape drawn into its own crop is not always the same, as
PIL's polygon fill is not exact under translation) and read back inside its box, then that box
is cleared for the next shape: a file of 300 shapes costs their boxes, not 300 full masks.
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
from PIL import Image, ImageDraw

from ..errors import FormatError
from ..labels import LabelSet

__all__ = ["shape_to_mask", "shape_crops", "shape_masks", "labelme_to_labels", "image_size_of_labelme", "LINE_WIDTH",
           "POINT_SIZE"]

LINE_WIDTH = 10
POINT_SIZE = 5
_NEED = {"circle": 2, "rectangle": 2, "line": 2, "linestrip": 2, "point": 1}


def _draw(draw: ImageDraw.ImageDraw, points, shape_type: str) -> tuple[float, float, float, float]:
    """Draw one shape with value 1; returns the box ``(x0, y0, x1, y1)`` it can touch."""
    xy = [tuple(map(float, p)) for p in points]
    xs, ys = [p[0] for p in xy], [p[1] for p in xy]
    pad = 2.0
    if shape_type == "circle":
        (cx, cy), (px, py) = xy[:2]
        d = math.hypot(cx - px, cy - py)
        draw.ellipse([cx - d, cy - d, cx + d, cy + d], outline=1, fill=1)
        return cx - d - pad, cy - d - pad, cx + d + pad, cy + d + pad
    if shape_type == "rectangle":
        (x0, y0), (x1, y1) = xy[:2]
        draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], outline=1, fill=1)
        xs, ys = [x0, x1], [y0, y1]
    elif shape_type in ("line", "linestrip"):
        draw.line(xy=xy, fill=1, width=LINE_WIDTH)
        pad += LINE_WIDTH
    elif shape_type == "point":
        cx, cy = xy[0]
        draw.ellipse([cx - POINT_SIZE, cy - POINT_SIZE, cx + POINT_SIZE, cy + POINT_SIZE], outline=1, fill=1)
        pad += POINT_SIZE
    else:
        draw.polygon(xy=xy, outline=1, fill=1)
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def shape_to_mask(size: tuple[int, int], points, shape_type: str = "polygon") -> np.ndarray:
    """``(H, W)`` bool: one shape drawn on an image of ``size``, as labelme draws it."""
    h, w = size
    im = Image.new("L", (w, h), 0)
    _draw(ImageDraw.Draw(im), points, shape_type)
    return np.asarray(im, dtype=bool)


def image_size_of_labelme(data: dict, name: str) -> tuple[int, int]:
    """``(H, W)`` of a labelme dict; a missing or impossible size raises FormatError."""
    try:
        h, w = int(data["imageHeight"]), int(data["imageWidth"])
    except (KeyError, TypeError, ValueError, OverflowError):
        raise FormatError(f"{name}: imageHeight and imageWidth are missing") from None
    if not (0 < h and 0 < w and h * w <= 50_000_000):
        raise FormatError(f"{name}: impossible image size {w}x{h}")
    if not isinstance(data.get("shapes"), list):
        raise FormatError(f"{name}: 'shapes' is not a list")
    return h, w


def _mask_shape(shape: dict, h: int, w: int) -> tuple[np.ndarray, int, int]:
    """A ``mask`` shape: an inclusive box ``[[x1, y1], [x2, y2]]`` and a base64 PNG of the
    mask inside it, as ``(crop, x1, y1)``."""
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
    return crop, int(x1), int(y1)


def shape_crops(data: dict, label_set: LabelSet, name: str = "labelme file"):
    """Every shape of a labelme dict as ``(class, (crop, x0, y0))`` in file order, the crop the
    shape's pixels inside its box (None where it has none); unknown labels and bad shapes fail."""
    h, w = image_size_of_labelme(data, name)
    canvas = None
    for i, shape in enumerate(data["shapes"]):
        try:
            cls = label_set.index_of(shape["label"])
            kind = shape.get("shape_type") or "polygon"
            if kind == "mask":
                yield cls, _mask_shape(shape, h, w)
                continue
            need = _NEED.get(kind, 3)
            if len(shape["points"]) < need:
                raise FormatError(f"a {kind} needs {need} points, it has {len(shape['points'])}")
            pts = np.asarray(shape["points"], dtype=np.float64)
            if pts.ndim != 2 or pts.shape[1] != 2:
                raise FormatError("points must be [x, y] pairs")
            if not np.isfinite(pts).all() or np.abs(pts).max() > 4 * max(h, w) + 16:
                raise FormatError("its points are not finite or lie far outside the image")
            if canvas is None:
                canvas = Image.new("L", (w, h), 0)
                draw = ImageDraw.Draw(canvas)
            bx0, by0, bx1, by1 = _draw(draw, shape["points"], kind)
            box = (max(0, math.floor(bx0)), max(0, math.floor(by0)), min(w, math.ceil(bx1) + 1),
                   min(h, math.ceil(by1) + 1))
            if box[0] >= box[2] or box[1] >= box[3]:
                yield cls, None
                continue
            crop = np.asarray(canvas.crop(box), dtype=bool)
            draw.rectangle([box[0], box[1], box[2] - 1, box[3] - 1], fill=0)
        except FormatError as e:
            raise FormatError(f"{name}: shape {i}: {e}") from None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            raise FormatError(f"{name}: shape {i} is malformed ({e.__class__.__name__}: {e})") from None
        rows = np.flatnonzero(crop.any(1))
        if not rows.size:
            yield cls, None
            continue
        cols = np.flatnonzero(crop.any(0))
        tight = crop[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        yield cls, (np.ascontiguousarray(tight), box[0] + int(cols[0]), box[1] + int(rows[0]))


def shape_masks(data: dict, label_set: LabelSet, name: str = "labelme file"):
    """Every shape of a labelme dict as ``(class, (H, W) bool mask)``, in file order (a later
    shape is drawn over an earlier one); unknown labels and bad shapes fail."""
    h, w = image_size_of_labelme(data, name)
    for cls, got in shape_crops(data, label_set, name):
        m = np.zeros((h, w), bool)
        if got is not None:
            crop, x0, y0 = got
            m[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]] = crop
        yield cls, m


def labelme_to_labels(data: dict, label_set: LabelSet, name: str = "labelme file") -> np.ndarray:
    """Label map ``(H, W)`` uint8 of a labelme dict (pixels no shape covers: the background
    class, else void); unknown labels and bad shapes fail."""
    labels = np.full(image_size_of_labelme(data, name), label_set.unlabelled, np.uint8)
    for cls, got in shape_crops(data, label_set, name):
        if got is not None:
            crop, x0, y0 = got
            labels[y0:y0 + crop.shape[0], x0:x0 + crop.shape[1]][crop] = cls
    return labels
