"""Inference for every torch model in the registry: one class, no per-model copies.

``image -> weights' own preset (resize, ImageNet mean/std) -> forward -> logits (C, h, w)
-> bilinear upsampling to the original size, banded -> argmax``. With ``scale`` the image is
resized to that shorter side and run in overlapping windows of the model's training size.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..image import ImageInput, load
from ..segmentation import Segmentation
from .segmenter import Segmenter
from .tiling import sliding_window_logits, upsample_argmax

__all__ = ["TorchSegmenter"]


class TorchSegmenter(Segmenter):
    """A torch net whose forward returns ``{"out": (N, C, h, w)}`` logits at its input size.

    ``binary=True``: the net gives one logit (sigmoid); it is turned into two-class logits
    ``[0, x]``, whose softmax is the sigmoid, so threshold 0.5 is the argmax.
    ``size_divisor``: inputs are padded (reflect) to a multiple of it and outputs cropped.
    """

    def __init__(self, spec, net: torch.nn.Module, *, device: str = "cpu", binary: bool = False,
                 size_divisor: int = 1, report=None, backend: str = "torch", weights_path=None,
                 half: bool | None = None):
        self.spec = spec
        self.device = torch.device(device)
        self.net = net.eval().to(self.device)
        self.binary = binary
        self.size_divisor = size_divisor
        self.report = report
        self.window = int(spec.published.preprocessing().resize_size[0])
        self.backend = backend
        self._ort = None
        if backend == "onnxruntime":
            from .onnx_backend import OnnxForward

            self._ort = OnnxForward(self.net, weights_path, spec.name)
        # Half precision on a GPU (checked to keep >= 99.5% agreement where a GPU was at hand).
        self.half = (self.device.type == "cuda") if half is None else half

    # -- the tensor level ---------------------------------------------------------------
    def preprocess(self, rgb: np.ndarray, scale: int | None = None) -> torch.Tensor:
        """RGB uint8 ``(H, W, 3)`` -> normalised ``(1, 3, h, w)`` by the weights' own preset."""
        preset = self.spec.published.preprocessing() if scale is None else \
            self.spec.published.preprocessing(resize_size=int(scale))
        return preset(Image.fromarray(rgb))[None]

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, h, w)`` -> logits ``(N, C, h, w)`` (C >= 2)."""
        h, w = x.shape[-2:]
        d = self.size_divisor
        ph, pw = (-h) % d, (-w) % d
        if ph or pw:
            mode = "reflect" if ph < h and pw < w else "replicate"
            x = F.pad(x, (0, pw, 0, ph), mode=mode)
        if self._ort is not None:
            out = torch.from_numpy(self._ort(x.numpy()))[..., :h, :w]
        else:
            with torch.autocast(device_type=self.device.type, dtype=torch.float16,
                                enabled=self.half and self.device.type == "cuda"):
                out = self.net(x.to(self.device))["out"][..., :h, :w].float().cpu()
        if self.binary:
            out = torch.cat([torch.zeros_like(out), out], dim=1)
        return out

    def logits(self, rgb: np.ndarray, scale: int | None = None) -> torch.Tensor:
        """Logits ``(C, h, w)`` at the model's working size (untiled, or windows with scale)."""
        x = self.preprocess(rgb, scale)
        if scale is None:
            return self.forward(x)[0]
        return sliding_window_logits(x, self.forward, window=self.window)

    # -- the numpy level ----------------------------------------------------------------
    def predict(self, image: ImageInput, *, scale: int | None = None) -> Segmentation:
        rgb = load(image)
        labels, conf = upsample_argmax(self.logits(rgb, scale), rgb.shape[:2])
        return Segmentation(labels, self.spec.label_set, conf)
