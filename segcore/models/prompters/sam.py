"""MobileSAM and SAM ViT-B / L / H as prompters, on ONNX Runtime.

One pipeline for the four checkpoints, which differ only in their image encoder: the model
code comes from the packages that publish it (``mobile_sam`` from ``mobilesam-mirror``,
``segment_anything``) and is used only to export the checkpoint once (:mod:`.sam_export`);
clicks run the two ONNX files. Pre- and post-processing are ``SamPredictor``'s: the photo's
longest side to 1024 (segment-anything's ``ResizeLongestSide``), normalised, padded to
1024 x 1024; points and boxes through the same transform; the low-resolution masks upscaled
to 1024, cropped to the resized photo and upscaled to the photo's size, ``> 0`` inside.

Boxes: segcore's ``(x0, y0, x1, y1)`` has x1 / y1 exclusive; SAM's corners are pixel centres,
so the box SAM sees is ``(x0, y0, x1 - 1, y1 - 1)``.

The registry entries, their weights and checksums are in :mod:`segcore.models.zoo.sam`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ...errors import ModelError
from ..weights import digests
from .base import EncodedPrompter, PromptResult

__all__ = ["SamPrompter", "SamEmbedding", "sam_prompter", "load_sam"]


# -- the ONNX pair, shared by every prompter over the same checkpoint ------------------------
class _Engine:
    def __init__(self, files: dict):
        from .. import onnx_cache

        (enc, enc_meta), (dec, dec_meta) = files["encoder"], files["decoder"]
        # The decoder on one thread: it answers clicks while the prefetcher encodes on the other
        # cores; on a busy 2-core machine a 2-thread decoder waits for its slower thread (here,
        # under a load average of 4: median 156 ms per run on 2 threads, 122 ms on 1).
        self.encoder, self.decoder = onnx_cache.session(enc), onnx_cache.session(dec, 1)
        self.img_size = int(enc_meta["img_size"])
        self.pixel_mean = np.asarray(enc_meta["pixel_mean"], np.float32)
        self.pixel_std = np.asarray(enc_meta["pixel_std"], np.float32)
        self.mask_threshold = float(dec_meta["mask_threshold"])
        self.paths = (enc, dec)


_engines: dict = {}
_engines_lock = threading.Lock()


def _engine(name: str, arch: str, package: str, path: Path) -> _Engine:
    from .sam_export import ensure_exported

    digest = digests(path)[0]
    with _engines_lock:
        if digest not in _engines:
            try:
                files = ensure_exported(path, arch, package)
            except ImportError as e:
                raise ModelError(f"{name} needs onnxruntime and onnx ({e.name} is missing)") from None
            _engines[digest] = _Engine(files)
        return _engines[digest]


# -- the prompter -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SamEmbedding:
    """What the encoder made of one photo: ``features`` ``(1, 256, 64, 64)`` float32, the photo's
    ``original_size`` ``(H, W)`` and its ``input_size`` after the resize ``(h, w)``."""

    features: np.ndarray
    original_size: tuple[int, int]
    input_size: tuple[int, int]


class SamPrompter(EncodedPrompter):
    """A SAM-family prompter; ``name`` is its registry name."""

    embedding_type = SamEmbedding

    def __init__(self, name: str, engine: _Engine, weights: Path):
        super().__init__()
        from segment_anything.utils.transforms import ResizeLongestSide

        self.name = name
        self.weights = weights
        self._engine = engine
        self._transform = ResizeLongestSide(engine.img_size)

    # -- the encoder: thread-safe, no state (a background thread may run it) --------------
    def encode(self, rgb: np.ndarray) -> SamEmbedding:
        """The image embedding of RGB uint8 ``(H, W, 3)``, as ``SamPredictor.set_image`` makes it."""
        e = self._engine
        resized = self._transform.apply_image(np.ascontiguousarray(rgb))
        h, w = resized.shape[:2]
        x = np.zeros((1, 3, e.img_size, e.img_size), np.float32)
        x[0, :, :h, :w] = ((resized.astype(np.float32) - e.pixel_mean) / e.pixel_std).transpose(2, 0, 1)
        features = e.encoder.run(["image_embeddings"], {"image": x})[0]
        return SamEmbedding(features, (int(rgb.shape[0]), int(rgb.shape[1])), (h, w))

    # -- the decoder ----------------------------------------------------------------------
    def _predict(self, points, box, mask_input, multimask: bool, prior) -> PromptResult:
        emb = self._embedding
        coords = [(x, y) for x, y, _ in points]
        labels = [1.0 if positive else 0.0 for _, _, positive in points]
        if box is not None:   # SAM's convention for a box: two corner points labelled 2 and 3
            x0, y0, x1, y1 = box
            coords += [(x0, y0), (x1 - 1, y1 - 1)]
            labels += [2.0, 3.0]
        else:                 # and without one, a padding point labelled -1, as SamPredictor adds
            coords.append((0.0, 0.0))
            labels.append(-1.0)
        xy = np.asarray(coords, np.float64)
        if box is None:
            xy[:-1] = self._transform.apply_coords(xy[:-1], emb.original_size)
        else:
            xy = self._transform.apply_coords(xy, emb.original_size)
        has_mask = mask_input is not None and np.size(mask_input) == 256 * 256
        feed = {
            "image_embeddings": emb.features,
            "point_coords": xy[None].astype(np.float32),
            "point_labels": np.asarray(labels, np.float32)[None],
            "mask_input": (np.asarray(mask_input, np.float32).reshape(1, 1, 256, 256) if has_mask
                           else np.zeros((1, 1, 256, 256), np.float32)),
            "has_mask_input": np.asarray([1.0 if has_mask else 0.0], np.float32),
        }
        scores, low = self._engine.decoder.run(["iou_predictions", "low_res_masks"], feed)
        keep = slice(1, None) if multimask else slice(0, 1)   # SamPredictor's multimask_output
        scores, low = scores[0, keep], low[0, keep]
        masks = np.empty((len(low), *emb.original_size), bool)
        for k, m in enumerate(low):
            self._upscale(m, emb, masks[k])
        best = int(np.argmax(scores))
        return PromptResult(mask=masks[best], score=float(scores[best]), logits=low[best].copy(),
                            masks=masks if multimask else None, scores=scores.copy() if multimask else None)

    def _upscale(self, low: np.ndarray, emb: SamEmbedding, out: np.ndarray) -> None:
        """``Sam.postprocess_masks`` then the threshold: ``(256, 256)`` logits -> ``out`` ``(H, W)``
        bool. cv2's bilinear resize is torch's ``interpolate(..., align_corners=False)``; the
        photo-size float buffer is kept between clicks (at 12 MP, fresh 48 MB per mask cost more
        than the resize)."""
        size = self._engine.img_size
        up = cv2.resize(low, (size, size), interpolation=cv2.INTER_LINEAR)
        h, w = emb.input_size
        self._threshold(up[:h, :w], out, self._engine.mask_threshold)


def sam_prompter(name: str, arch: str, package: str, path: Path) -> SamPrompter:
    """A ready SAM-family prompter over the checkpoint ``path`` (found by the resolver); the
    first load of a checkpoint exports it (seconds for MobileSAM, about a minute for ViT-B on 2
    cores), later ones share its ONNX sessions."""
    from importlib.util import find_spec

    if find_spec("segment_anything") is None:   # its transform is SamPredictor's, used at every image
        raise ModelError(f"{name} needs the segment-anything package: pip install segment-anything")
    return SamPrompter(name, _engine(name, arch, package, Path(path)), Path(path))


def load_sam(name: str = "mobile_sam", weights=None, offline: bool | None = None, progress=None) -> SamPrompter:
    """``load(name, "prompt", weights=...)`` for a SAM-family entry."""
    from ..resolve import load

    return load(name, "prompt", weights=weights, offline=offline, progress=progress)
