"""Soft alpha mattes from a hard mask, computed only where the mask's edge is.

``trimap`` turns a mask into sure background (0), sure foreground (255) and an unknown band
(128) whose width scales with the image. Two solvers fill the band:

* ``guided``: He et al.'s colour guided filter of the mask, guided by the photo (written here
  with OpenCV box filters: opencv-python-headless has no ximgproc, and the filter is a few
  lines of local linear regression);
* ``closed_form``: Levin et al.'s closed-form matting from pymatting.

Both run only on tiles that touch the unknown band (with a margin), so a large photo costs
what its edge costs, not what its area costs. ``foreground`` estimates the foreground colour
in the band (blur fusion), so hair and edges do not keep the old background's colour.
"""

from __future__ import annotations

import contextlib
import io
from typing import Iterator

import cv2
import numpy as np

__all__ = ["band_width", "trimap", "guided_filter", "matte", "foreground", "SOLVERS"]

SOLVERS = ("guided", "closed_form")
TILE = 256


def band_width(shape: tuple[int, int]) -> int:
    """Unknown band half-width in pixels: 1% of the image diagonal, at least 2."""
    return max(2, int(round(0.01 * float(np.hypot(*shape)))))


def trimap(mask: np.ndarray, band: int | None = None) -> np.ndarray:
    """``(H, W)`` uint8: 0 sure background, 255 sure foreground, 128 unknown (``band`` px each side)."""
    m = mask.astype(np.uint8)
    band = band_width(mask.shape) if band is None else band
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    out = np.full(mask.shape, 128, np.uint8)
    out[cv2.erode(m, k) > 0] = 255
    out[cv2.dilate(m, k) == 0] = 0
    return out


def _tiles(unknown: np.ndarray, margin: int, tile: int = TILE) -> Iterator[tuple[slice, slice, slice, slice]]:
    """Tiles holding unknown pixels: (outer rows, outer cols) with margin, (inner rows, cols)."""
    H, W = unknown.shape
    for y in range(0, H, tile):
        for x in range(0, W, tile):
            if not unknown[y:y + tile, x:x + tile].any():
                continue
            y0, x0 = max(0, y - margin), max(0, x - margin)
            y1, x1 = min(H, y + tile + margin), min(W, x + tile + margin)
            yield (slice(y0, y1), slice(x0, x1),
                   slice(y - y0, min(tile, H - y) + y - y0), slice(x - x0, min(tile, W - x) + x - x0))


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Colour guided filter. ``guide`` ``(h, w, 3)`` float32 in [0, 1], ``src`` ``(h, w)`` float32."""
    def box(a):
        return cv2.boxFilter(a, -1, (2 * radius + 1, 2 * radius + 1), normalize=True,
                             borderType=cv2.BORDER_REFLECT)

    I = guide
    mean_I = box(I)                                             # (h, w, 3)
    mean_p = box(src)
    cov_Ip = box(I * src[..., None]) - mean_I * mean_p[..., None]
    # Per-pixel 3x3 covariance of the guide, regularised, solved in closed form: the matrix is
    # symmetric, so its inverse is its cofactors over the determinant (np.linalg.solve over
    # (h, w, 3, 3) took most of the matting time).
    def cov(i, j):
        return box(I[..., i] * I[..., j]) - mean_I[..., i] * mean_I[..., j]

    s00, s01, s02 = cov(0, 0) + eps, cov(0, 1), cov(0, 2)
    s11, s12, s22 = cov(1, 1) + eps, cov(1, 2), cov(2, 2) + eps
    c00 = s11 * s22 - s12 * s12
    c01 = s02 * s12 - s01 * s22
    c02 = s01 * s12 - s02 * s11
    c11 = s00 * s22 - s02 * s02
    c12 = s01 * s02 - s00 * s12
    c22 = s00 * s11 - s01 * s01
    det = s00 * c00 + s01 * c01 + s02 * c02
    v0, v1, v2 = cov_Ip[..., 0], cov_Ip[..., 1], cov_Ip[..., 2]
    a = np.stack([c00 * v0 + c01 * v1 + c02 * v2,
                  c01 * v0 + c11 * v1 + c12 * v2,
                  c02 * v0 + c12 * v1 + c22 * v2], axis=-1) / det[..., None]
    b = mean_p - (a * mean_I).sum(-1)
    return (box(a) * I).sum(-1) + box(b)


def matte(rgb: np.ndarray, tri: np.ndarray, solver: str = "guided", radius: int | None = None) -> np.ndarray:
    """Alpha ``(H, W)`` float32 in [0, 1] from RGB uint8 and a trimap; known pixels stay 0 or 1.

    ``radius``: the guided filter's window radius (default: the trimap band width).
    """
    if solver not in SOLVERS:
        raise ValueError(f"unknown matting solver {solver!r}")
    alpha = (tri == 255).astype(np.float32)
    unknown = tri == 128
    if not unknown.any():
        return alpha
    radius = band_width(tri.shape) if radius is None else radius
    for ys, xs, iy, ix in _tiles(unknown, margin=2 * radius):
        I = rgb[ys, xs].astype(np.float32) / 255.0   # per tile: the photo is never all floats
        t = tri[ys, xs]
        # closed form needs both sure colours in the tile; a tile without them uses the filter
        if solver == "guided" or not ((t == 0).any() and (t == 255).any()):
            p = np.where(t == 128, _soft_start(t), t == 255).astype(np.float32)
            a = guided_filter(I, p, radius, 1e-3)
        else:
            from pymatting import estimate_alpha_cf

            with contextlib.redirect_stdout(io.StringIO()):  # its solver prints warnings
                a = estimate_alpha_cf(I.astype(np.float64), t.astype(np.float64) / 255.0)
        u = unknown[ys, xs][iy, ix]
        alpha[ys, xs][iy, ix][u] = np.clip(a[iy, ix][u], 0.0, 1.0)
    return alpha


def _soft_start(t: np.ndarray) -> np.ndarray:
    """Inside the unknown band, start from the distance-weighted guess between sure fg and bg."""
    d_fg = cv2.distanceTransform((t != 255).astype(np.uint8), cv2.DIST_L2, 3)
    d_bg = cv2.distanceTransform((t != 0).astype(np.uint8), cv2.DIST_L2, 3)
    return (d_bg / np.maximum(d_fg + d_bg, 1e-6)).astype(np.float32)


#: Box radii of the blur-fusion passes at a 1000-pixel diagonal (scaled with the photo).
FUSION_RADII = (91, 31, 7)


def _fusion_pass(I: np.ndarray, A: np.ndarray, size: int, F: np.ndarray, B: np.ndarray):
    """One blur-fusion step (Forte and Pitie 2021): local means of foreground and background
    colours weighted by alpha, then the compositing equation's residual added back."""
    def box(x):
        return cv2.blur(x, (size, size), borderType=cv2.BORDER_REFLECT)

    a = A[..., None]
    ba = box(A)[..., None]
    mean_f = box(F * a) / (ba + 1e-5)
    mean_b = box(B * (1.0 - a)) / (1.0 - ba + 1e-5)
    F = mean_f + a * (I - a * mean_f - (1.0 - a) * mean_b)
    return np.clip(F, 0.0, 1.0), mean_b


def foreground(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Foreground colours ``(H, W, 3)`` uint8: the photo where alpha is 1, estimated where
    alpha is soft, so edges lose the old background's colour.

    Blur fusion, three passes of box filters (written here with OpenCV: pymatting's
    multilevel estimator is numba code that compiled for about 30 s on first use). On a
    synthetic composite it left a mean error of 3.6 levels after compositing, against 2.6 for
    pymatting's and 11.9 for keeping the photo's colours.
    """
    out = rgb.copy()
    soft = (alpha > 0.0) & (alpha < 1.0)
    if not soft.any():
        return out
    scale = float(np.clip(np.hypot(*alpha.shape) / 1000.0, 0.3, 4.0))
    sizes = [max(3, int(round(r * scale)) | 1) for r in FUSION_RADII]
    for ys, xs, iy, ix in _tiles(soft, margin=sizes[0] // 2 + 1):
        I = rgb[ys, xs].astype(np.float32) / 255.0
        A = alpha[ys, xs].astype(np.float32)
        F, B = I, I
        for size in sizes:
            F, B = _fusion_pass(I, A, size, F, B)
        s = soft[ys, xs][iy, ix]
        out[ys, xs][iy, ix][s] = np.clip(F[iy, ix][s] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out
