"""The brush layer of the editor: a label map shown as an RGBA layer, and back.

A brush layer (RGBA, as a browser canvas returns it) is turned back into labels by nearest
palette colour over pixels with enough alpha: stroke edges are anti-aliased, so exact colour
matching alone would miss them. The lookup goes through a 64x64x64 colour table, built once
per label set, so a megapixel layer costs a few array passes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..labels import LabelSet
from ..segmentation import Segmentation

__all__ = ["mask_layer", "layer_to_labels", "layer_strokes", "LAYER_ALPHA"]

#: Alpha of the mask layer shown in the editor (and of brush strokes, opacity 0.55).
LAYER_ALPHA = 140


def mask_layer(seg: Segmentation, alpha: int = LAYER_ALPHA) -> np.ndarray:
    """RGBA ``(H, W, 4)`` uint8: classes in their colours, background transparent."""
    rgba = np.zeros(seg.shape + (4,), np.uint8)
    rgba[..., :3] = seg.label_set.lut()[seg.labels]
    rgba[..., 3] = np.where(seg.labels != 0, alpha, 0)
    return rgba


@lru_cache(maxsize=16)
def _colour_table(label_set: LabelSet) -> np.ndarray:
    """``(64**3,)`` uint8: the label of the nearest palette colour of each 6-bit RGB cell."""
    idx = list(range(len(label_set))) + [label_set.void_index]
    pal = label_set.lut()[idx].astype(np.float32)                      # (K, 3)
    centres = (np.arange(64, dtype=np.float32) * 4 + 1.5)
    grid = np.stack(np.meshgrid(centres, centres, centres, indexing="ij"), -1).reshape(-1, 3)
    d = ((grid[:, None, :] - pal[None, :, :]) ** 2).sum(-1)           # (262144, K)
    table = np.asarray(idx, np.uint8)[d.argmin(1)]
    for k, col in zip(idx, label_set.lut()[idx]):                    # exact colours always win
        r, g, b = (int(v) >> 2 for v in col)
        table[(r << 12) | (g << 6) | b] = k
    return table


def layer_to_labels(layer: np.ndarray, seg: Segmentation, erase_to: int = 0,
                    alpha_threshold: int = LAYER_ALPHA // 2) -> np.ndarray:
    """Labels from an edited RGBA layer ``(H, W, 4)`` that started as ``mask_layer(seg)``.

    Opaque enough pixels take the class of their nearest palette colour; pixels that were
    drawn and are now transparent were erased and become ``erase_to`` (background or void);
    pixels transparent before and after keep their label.
    """
    if layer.shape[:2] != seg.shape:
        raise ValueError(f"layer {layer.shape[:2]} and mask {seg.shape} differ in size")
    rgb = layer[..., :3]
    code = (rgb[..., 0].astype(np.int32) >> 2) << 12
    code |= (rgb[..., 1].astype(np.int32) >> 2) << 6
    code |= rgb[..., 2].astype(np.int32) >> 2
    painted = layer[..., 3] >= alpha_threshold
    out = np.where(painted, _colour_table(seg.label_set)[code], seg.labels)
    out[~painted & (seg.labels != 0)] = erase_to
    return out.astype(np.uint8)


def layer_strokes(layer: np.ndarray, seg: Segmentation,
                  alpha_threshold: int = LAYER_ALPHA // 2) -> tuple[np.ndarray, np.ndarray]:
    """What was painted on a layer that started as ``mask_layer(seg)``: ``(painted (H, W) bool,
    class of each pixel (H, W) uint8)``. Painting background colour over background counts."""
    new = layer_to_labels(layer, seg, alpha_threshold=alpha_threshold)
    opaque = layer[..., 3] >= alpha_threshold
    painted = opaque & ((seg.labels == 0) | (new != seg.labels))
    return painted, new
