"""Pictures of a segmentation: colour overlay with outlines, and a legend.

The class named background (if any: :attr:`LabelSet.background`; class 0 is a class like any
other) is left untinted so the photo stays readable; every other class, void included, is
blended in its label-set colour at ``opacity``.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .labels import LabelSet
from .segmentation import Segmentation

__all__ = ["colorize", "overlay", "outline_mask", "legend", "legend_entries"]


def colorize(labels: np.ndarray, label_set: LabelSet) -> np.ndarray:
    """Label map ``(H, W)`` -> RGB uint8 ``(H, W, 3)`` in class colours."""
    return label_set.lut()[labels]


def outline_mask(labels: np.ndarray, thickness: int = 1) -> np.ndarray:
    """``(H, W)`` bool: pixels whose 3x3 neighbourhood holds another label."""
    k = np.ones((3, 3), np.uint8)
    hi = cv2.dilate(labels, k, iterations=thickness)
    lo = cv2.erode(labels, k, iterations=thickness)
    return hi != lo


def overlay(image: np.ndarray, seg: Segmentation, opacity: float = 0.5,
            outlines: bool = True) -> np.ndarray:
    """Blend class colours over RGB uint8 ``image`` ``(H, W, 3)``; returns the same shape."""
    if image.shape[:2] != seg.shape:
        raise ValueError(f"image {image.shape[:2]} and mask {seg.shape} differ in size")
    opacity = float(np.clip(opacity, 0.0, 1.0))
    colors = colorize(seg.labels, seg.label_set)
    bg = seg.label_set.background
    tinted = seg.labels != bg if bg is not None else np.ones(seg.shape, bool)
    out = image.copy()
    blend = cv2.addWeighted(image, 1.0 - opacity, colors, opacity, 0.0)
    out[tinted] = blend[tinted]
    if outlines:
        # An edge pixel takes the colour of the highest label around it, so the edge between
        # a class and background shows the class's colour rather than background black.
        edge = outline_mask(seg.labels)
        grown = cv2.dilate(seg.labels, np.ones((3, 3), np.uint8))
        out[edge] = seg.label_set.lut()[grown[edge]]
    return out


def legend_entries(seg: Segmentation, min_share: float = 0.0) -> list[tuple[str, str, float]]:
    """``(name, "#rrggbb", share)`` for each class present, largest first."""
    lut = seg.label_set.lut()
    rows = []
    for idx, name, share in seg.class_shares():
        if share >= min_share:
            rows.append((name, "#%02x%02x%02x" % tuple(int(v) for v in lut[idx]), share))
    return rows


def legend(seg: Segmentation, row_height: int = 22, width: int = 260) -> np.ndarray:
    """A small RGB picture: one swatch and name (with share) per class present."""
    rows = legend_entries(seg)
    img = Image.new("RGB", (width, max(1, len(rows)) * row_height + 8), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=14)
    except TypeError:  # Pillow without FreeType
        font = ImageFont.load_default()
    for i, (name, hexcol, share) in enumerate(rows):
        y = 4 + i * row_height
        draw.rectangle([6, y + 2, 6 + row_height - 6, y + row_height - 4], fill=hexcol, outline=(0, 0, 0))
        draw.text((row_height + 8, y + 2), f"{name}  {share * 100:.1f}%", fill=(0, 0, 0), font=font)
    return np.asarray(img)
