"""An ONNX Runtime forward for every torch segmenter: the same net, exported once, run faster.

Only the forward changes: preprocessing, sliding windows and the banded upsampling stay in
:class:`~segcore.models.predictor.TorchSegmenter`. The loaded net is exported once with
dynamic batch, height and width (TorchScript exporter, opset 17) into the one ONNX cache
(:mod:`segcore.models.onnx_cache`).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..fileio import write_with
from . import onnx_cache

__all__ = ["OnnxForward", "onnx_available", "default_backend", "BACKENDS"]

BACKENDS = ("onnxruntime", "torch")
onnx_available = onnx_cache.available


def default_backend(device: str) -> str:
    """ONNX Runtime on a CPU where it is installed; torch otherwise (GPU, or no onnxruntime)."""
    return "onnxruntime" if str(device).startswith("cpu") and onnx_available() else "torch"


def _export(net, model: str):
    """The exporter of ``net`` (eval mode, returns ``{"out": logits}``) with dynamic N, H, W."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net(x)["out"]

    def export(missing, paths):
        onnx, sidecar = paths[""]
        wrapped = Logits(net).eval()
        sample = torch.zeros(1, 3, 64, 96)
        # The TorchScript exporter is deprecated in favour of torch.export's, which needs the
        # onnxscript package; it still exports every registry net exactly (tests/test_onnx.py).
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            write_with(onnx, lambda p: torch.onnx.export(
                wrapped, (sample,), str(p), input_names=["image"], output_names=["logits"], opset_version=17,
                dynamic_axes={"image": {0: "n", 2: "h", 3: "w"}, "logits": {0: "n", 2: "h", 3: "w"}},
                dynamo=False), keep_backup=False)
        onnx_cache.write_sidecar(onnx, sidecar, {"model": model})
    return export


class OnnxForward:
    """``(N, 3, h, w)`` float32 array -> logits ``(N, C, h, w)`` float32 array."""

    def __init__(self, net, weights: str | os.PathLike, model: str):
        if not onnx_available():
            raise ModelError("the onnxruntime backend needs onnxruntime: pip install onnxruntime")
        weights = Path(weights)
        onnx = onnx_cache.cache_paths(weights, model)[""][0]
        self.rebuilt = onnx_cache.read_sidecar(onnx, onnx.with_suffix(".json")) is None
        self.path = onnx_cache.ensure(weights, model, ("",), _export(net, model))[""][0]
        try:
            self.session = onnx_cache.session(self.path)
        except Exception:
            # A file that matched its sidecar but does not load: export again, once.
            onnx_cache.ensure(weights, model, ("",), _export(net, model), force=True)
            self.rebuilt = True
            self.session = onnx_cache.session(self.path)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(["logits"], {"image": np.ascontiguousarray(x, np.float32)})[0]
