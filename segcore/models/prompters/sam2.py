"""SAM 2.1 (hiera tiny, small, base+, large) as a prompter, on ONNX Runtime.

The model code is transformers' ``Sam2Model``, used only to export a checkpoint once
(:mod:`.sam2_export`); clicks run the two ONNX files. Pre- and post-processing are
``Sam2Processor``'s: the photo resized to 1024 x 1024 (not kept in proportion) and normalised by
its ``Sam2ImageProcessor``; points and boxes scaled to that frame; the low-resolution masks
upscaled bilinearly to the photo's size, ``> 0`` inside. A single mask (the first click of a
run chooses among three instead) follows SAM 2's own rule: the single-mask output where it is
stable, else the best-scored of the three.

Boxes: segcore's ``(x0, y0, x1, y1)`` has x1 / y1 exclusive; SAM's corners are pixel centres,
so the box SAM 2 sees is ``(x0, y0, x1 - 1, y1 - 1)``, as for SAM.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import ModelError
from ..weights import digests
from .base import EncodedPrompter, PromptResult
from .sam2_export import ENCODER_OUTPUTS

__all__ = ["Sam2Prompter", "Sam2Embedding", "sam2_prompter", "select_masks"]


class _Engine:
    def __init__(self, files: dict):
        from .. import onnx_cache

        (enc, enc_meta), (dec, dec_meta) = files["encoder"], files["decoder"]
        # The decoder on one thread, as SAM's: it answers clicks while the prefetcher encodes.
        self.encoder, self.decoder = onnx_cache.session(enc), onnx_cache.session(dec, 1)
        self.img_size = int(enc_meta["img_size"])
        self.mask_threshold = float(dec_meta["mask_threshold"])
        self.stability = (bool(dec_meta["dynamic_multimask"]), float(dec_meta["stability_delta"]),
                          float(dec_meta["stability_thresh"]))
        self.paths = (enc, dec)
        from transformers import Sam2ImageProcessor

        self.processor = Sam2ImageProcessor()
        self._processor_lock = threading.Lock()

    def pixel_values(self, rgb: np.ndarray) -> np.ndarray:
        """``Sam2ImageProcessor``'s ``pixel_values`` ``(1, 3, 1024, 1024)`` float32 of RGB uint8."""
        with self._processor_lock:
            out = self.processor(images=rgb, return_tensors="pt")["pixel_values"]
        return out.numpy().astype(np.float32, copy=False)


_engines: dict = {}
_engines_lock = threading.Lock()


def _engine(name: str, size: str, path: Path) -> _Engine:
    from .sam2_export import ensure_exported

    digest = digests(path)[0] if Path(path).is_file() else str(path)
    with _engines_lock:
        if (digest, size) not in _engines:
            try:
                files = ensure_exported(Path(path), size)
            except ImportError as e:
                raise ModelError(f"{name} needs onnxruntime, onnx and transformers ({e.name} is missing)") from None
            _engines[digest, size] = _Engine(files)
        return _engines[digest, size]


def select_masks(iou: np.ndarray, low: np.ndarray, multimask: bool, stability=(True, 0.05, 0.98)):
    """``(scores (C,), low-res logits (C, 256, 256))`` a prompt gets from the decoder's four: the
    three multimask outputs, or one (SAM 2's rule: the single-mask output where its stability
    score, the IoU of its mask at +delta and -delta, reaches the threshold, else the best-scored
    of the three)."""
    if multimask:
        return iou[1:], low[1:]
    dynamic, delta, thresh = stability
    if dynamic:
        single = low[0]
        area_i = float((single > delta).sum())
        area_u = float((single > -delta).sum())
        stable = (area_i / area_u if area_u > 0 else 1.0) >= thresh
        if not stable:
            k = 1 + int(np.argmax(iou[1:]))
            return iou[k:k + 1], low[k:k + 1]
    return iou[:1], low[:1]


@dataclass(frozen=True, eq=False)
class Sam2Embedding:
    """What the encoder made of one photo: its three feature maps (``ENCODER_OUTPUTS``) and the
    photo's ``original_size`` ``(H, W)``."""

    features: tuple
    original_size: tuple[int, int]


class Sam2Prompter(EncodedPrompter):
    """A SAM 2.1 prompter; ``name`` is its registry name."""

    embedding_type = Sam2Embedding

    def __init__(self, name: str, engine: _Engine, weights: Path):
        super().__init__()
        self.name = name
        self.weights = weights
        self._engine = engine

    # -- the encoder: thread-safe, no state (a background thread may run it) --------------
    def encode(self, rgb: np.ndarray) -> Sam2Embedding:
        e = self._engine
        feats = e.encoder.run(list(ENCODER_OUTPUTS), {"pixel_values": e.pixel_values(np.ascontiguousarray(rgb))})
        return Sam2Embedding(tuple(feats), (int(rgb.shape[0]), int(rgb.shape[1])))

    # -- the decoder ----------------------------------------------------------------------
    def _predict(self, points, box, mask_input, multimask: bool, prior) -> PromptResult:
        emb, e = self._embedding, self._engine
        H, W = emb.original_size
        coords = [(x, y) for x, y, _ in points]
        labels = [1.0 if positive else 0.0 for _, _, positive in points]
        if box is not None:   # a box: its corners labelled 2 and 3, then a padding point, as Sam2Model
            x0, y0, x1, y1 = box
            coords += [(x0, y0), (x1 - 1, y1 - 1)]
            labels += [2.0, 3.0]
        coords.append((0.0, 0.0))     # the padding point (label -1) that ends every prompt
        labels.append(-1.0)
        xy = np.asarray(coords, np.float32)
        xy[:-1, 0] *= e.img_size / W
        xy[:-1, 1] *= e.img_size / H
        has_mask = mask_input is not None and np.size(mask_input) == 256 * 256
        feed = dict(zip(ENCODER_OUTPUTS, emb.features))
        feed.update({
            "point_coords": xy[None],
            "point_labels": np.asarray(labels, np.float32)[None],
            "mask_input": (np.asarray(mask_input, np.float32).reshape(1, 1, 256, 256) if has_mask
                           else np.zeros((1, 1, 256, 256), np.float32)),
            "has_mask_input": np.asarray([1.0 if has_mask else 0.0], np.float32),
        })
        iou, low = e.decoder.run(["iou_predictions", "low_res_masks"], feed)
        scores, low = select_masks(iou[0], low[0], multimask, e.stability)
        masks = np.empty((len(low), H, W), bool)
        for k, m in enumerate(low):
            self._upscale(m, masks[k])
        best = int(np.argmax(scores))
        return PromptResult(mask=masks[best], score=float(scores[best]), logits=low[best].copy(),
                            masks=masks if multimask else None, scores=scores.copy() if multimask else None)

    def _upscale(self, low: np.ndarray, out: np.ndarray) -> None:
        """``post_process_masks``: ``(256, 256)`` logits bilinearly to the photo's size, then
        the threshold."""
        self._threshold(low, out, self._engine.mask_threshold)


def sam2_prompter(name: str, size: str, path: Path) -> Sam2Prompter:
    """A ready SAM 2.1 prompter over the weights ``path`` (found by the resolver); the first load
    of a checkpoint exports it, later ones share its ONNX sessions."""
    return Sam2Prompter(name, _engine(name, size, Path(path)), Path(path))
