"""Memory-bounded inference helpers: banded upsampling + argmax, and sliding windows.

``upsample_argmax`` gives what ``F.interpolate(logits, size, mode="bilinear",
align_corners=False).argmax(1)`` gives, without ever holding ``C x H x W`` floats at full size
when they would not fit a budget: bilinear resampling is separable and each output sample
mixes two source samples, so a band of output rows is built from two source rows, then two
source columns. The taps and weights are read off ``F.interpolate`` itself (applied to an
identity), so they follow PyTorch's own sampling convention; PyTorch has no way to produce
only a band of an interpolated output, which is why this is not a single library call.
"""

from __future__ import annotations

import math
from typing import Callable

import cv2
import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["interp_matrix", "upsample_argmax", "window_starts", "sliding_window_logits"]

#: Bytes of float logits one output band may hold.
BAND_BYTES = 64 * 2**20


def interp_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """``(n_out, n_in)`` float32: 1-D bilinear (align_corners=False) resampling as a matrix."""
    eye = torch.eye(n_in, dtype=torch.float32)[None, None]
    return F.interpolate(eye, size=(n_out, n_in), mode="bilinear", align_corners=False)[0, 0]


def _taps(n_out: int, n_in: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The two source indices ``(n_out, 2)`` and weights ``(n_out, 2)`` of each output sample."""
    weights, index = interp_matrix(n_out, n_in).topk(min(2, n_in), dim=1)
    return index, weights


def _label_and_confidence(band: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    top, idx = band.max(dim=0)
    # max softmax probability = 1 / sum(exp(l - l_max)), without a softmax tensor
    return idx.to(torch.uint8), torch.exp(band - top).sum(dim=0).reciprocal_()


@torch.inference_mode()
def upsample_argmax(logits: torch.Tensor, size: tuple[int, int],
                    band_bytes: int = BAND_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """Logits ``(C, h, w)`` -> labels ``(H, W)`` uint8 and max softmax probability ``(H, W)`` float32."""
    c, h, w = logits.shape
    H, W = size
    logits = logits.float()
    if 4 * c * H * W <= band_bytes:  # fits: one resize of the whole map
        if c <= 512:
            # OpenCV's bilinear resize (pixel centres, as align_corners=False) of channels-last
            # logits, then argmax and the max softmax in numpy, in place: at VOC size with 21
            # classes 35 ms where F.interpolate and torch's max took 59 (after an ONNX Runtime
            # forward, whose worker threads torch's own pool then waits on).
            hwc = np.ascontiguousarray(logits.permute(1, 2, 0).numpy())
            up = cv2.resize(hwc, (W, H), interpolation=cv2.INTER_LINEAR).reshape(H, W, c)
            idx = up.argmax(-1)
            top = np.take_along_axis(up, idx[..., None], -1)
            np.subtract(up, top, out=up)
            np.exp(up, out=up)
            conf = np.reciprocal(up.sum(-1, dtype=np.float32))
            return idx.astype(np.uint8), conf.astype(np.float32, copy=False)
        full = F.interpolate(logits[None], size=(H, W), mode="bilinear", align_corners=False)[0]
        idx, conf = _label_and_confidence(full)
        return idx.numpy(), conf.numpy()
    iy, wy = _taps(H, h)
    ix, wx = _taps(W, w)
    labels = np.empty((H, W), dtype=np.uint8)
    conf = np.empty((H, W), dtype=np.float32)
    rows = max(1, band_bytes // (4 * c * W))
    for y0 in range(0, H, rows):
        y1 = min(H, y0 + rows)
        # rows first (few output rows from few source rows), then columns
        tmp = sum(logits[:, iy[y0:y1, k], :] * wy[y0:y1, k, None] for k in range(iy.shape[1]))
        band = sum(tmp[:, :, ix[:, k]] * wx[:, k] for k in range(ix.shape[1]))  # (C, r, W)
        idx, p = _label_and_confidence(band)
        labels[y0:y1] = idx.numpy()
        conf[y0:y1] = p.numpy()
    return labels, conf


def window_starts(length: int, window: int, stride: int) -> list[int]:
    """Start offsets of windows of ``window`` covering ``[0, length)``; the last one ends at length."""
    if length <= window:
        return [0]
    starts = list(range(0, length - window, stride))
    starts.append(length - window)
    return starts


@torch.inference_mode()
def sliding_window_logits(x: torch.Tensor, forward: Callable[[torch.Tensor], torch.Tensor],
                          window: int, overlap: float = 1 / 3) -> torch.Tensor:
    """Logits ``(C, H, W)`` of a normalised image ``x`` ``(1, 3, H, W)`` from overlapping windows.

    ``forward`` maps ``(1, 3, h, w)`` to ``(1, C, h, w)``. Where windows overlap their logits are
    averaged. An image that fits one window gives exactly ``forward(x)[0]``.
    """
    _, _, H, W = x.shape
    wh, ww = min(window, H), min(window, W)
    sh = max(1, math.ceil(wh * (1 - overlap)))
    sw = max(1, math.ceil(ww * (1 - overlap)))
    acc = None
    count = torch.zeros((1, H, W), dtype=torch.float32)
    for y in window_starts(H, wh, sh):
        for xo in window_starts(W, ww, sw):
            out = forward(x[..., y:y + wh, xo:xo + ww])[0].float()
            if acc is None:
                acc = torch.zeros((out.shape[0], H, W), dtype=torch.float32)
            acc[:, y:y + wh, xo:xo + ww] += out
            count[:, y:y + wh, xo:xo + ww] += 1
    return acc / count
