"""An ONNX Runtime forward for every torch entry: the same net, exported once, run faster.

Only the forward changes: preprocessing, sliding windows and the banded upsampling stay in
:class:`~segcore.models.predictor.TorchSegmenter`. The loaded net is exported once with
dynamic batch, height and width (TorchScript exporter, opset 17) and cached beside the
weights as ``<weights stem>.<key>.onnx`` where ``key`` hashes the checkpoint's bytes, the
model name and the segcore, torch and onnxruntime versions, so a changed checkpoint or an
upgrade exports again. A JSON sidecar holds the ONNX file's own sha256: a cache file that does
not match it (tampered, half-written) is rebuilt, never run. Where the weights' folder is not
writable the cache goes to ``<torch hub>/checkpoints/onnx/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..fileio import write_text, write_with
from .weights import checkpoint_dir, sha256_of

__all__ = ["OnnxForward", "onnx_available", "cache_paths", "default_backend", "BACKENDS"]

BACKENDS = ("onnxruntime", "torch")


def onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def default_backend(device: str) -> str:
    """ONNX Runtime on a CPU where it is installed; torch otherwise (GPU, or no onnxruntime)."""
    return "onnxruntime" if str(device).startswith("cpu") and onnx_available() else "torch"


def _threads() -> int:
    # One thread per core; ONNX Runtime's default (all logical cores) oversubscribes
    # machines whose cores are hyper-threaded, and this process has other work too.
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return max(1, n)


def cache_paths(weights: Path, model: str) -> tuple[Path, Path]:
    """``(onnx file, sidecar json)`` for a checkpoint."""
    import onnxruntime
    import torch

    from .. import __version__

    h = hashlib.sha256()
    h.update(sha256_of(weights).encode())
    h.update(f"{model}|segcore {__version__}|torch {torch.__version__}|ort {onnxruntime.__version__}".encode())
    key = h.hexdigest()[:16]
    folder = weights.parent if os.access(weights.parent, os.W_OK) else checkpoint_dir() / "onnx"
    onnx = folder / f"{weights.stem}.{key}.onnx"
    return onnx, onnx.with_suffix(".json")


def _valid(onnx: Path, sidecar: Path) -> bool:
    if not (onnx.is_file() and sidecar.is_file()):
        return False
    try:
        meta = json.loads(sidecar.read_text())
        return meta.get("sha256") == sha256_of(onnx)
    except (OSError, ValueError, AttributeError):
        return False


_export_lock = threading.Lock()


def export(net, onnx: Path, sidecar: Path, model: str) -> None:
    """Export ``net`` (eval mode, returns ``{"out": logits}``) with dynamic N, H, W."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net(x)["out"]

    import warnings

    wrapped = Logits(net).eval()
    sample = torch.zeros(1, 3, 64, 96)
    # The TorchScript exporter is deprecated in favour of torch.export's, which needs the
    # onnxscript package; it still exports every registry net exactly (tests/test_onnx.py).
    with _export_lock, torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_with(onnx, lambda p: torch.onnx.export(
            wrapped, (sample,), str(p), input_names=["image"], output_names=["logits"], opset_version=17,
            dynamic_axes={"image": {0: "n", 2: "h", 3: "w"}, "logits": {0: "n", 2: "h", 3: "w"}},
            dynamo=False), keep_backup=False)
    write_text(sidecar, json.dumps({"model": model, "sha256": sha256_of(onnx)}), keep_backup=False)


class OnnxForward:
    """``(N, 3, h, w)`` float32 array -> logits ``(N, C, h, w)`` float32 array."""

    def __init__(self, net, weights: str | os.PathLike, model: str):
        if not onnx_available():
            raise ModelError("the onnxruntime backend needs onnxruntime: pip install onnxruntime")
        import onnxruntime as ort

        onnx, sidecar = cache_paths(Path(weights), model)
        self.rebuilt = False
        if not _valid(onnx, sidecar):
            export(net, onnx, sidecar, model)
            self.rebuilt = True
        self.path = onnx
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = _threads()
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Spinning worker threads steal the cores from torch's preprocessing and upsampling
        # around each forward: off, LR-ASPP at VOC size went from 127 to 82 ms per image here.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(onnx), opts, providers=["CPUExecutionProvider"])
        except Exception:
            # A file that matched its sidecar but does not load: export again, once.
            export(net, onnx, sidecar, model)
            self.rebuilt = True
            self.session = ort.InferenceSession(str(onnx), opts, providers=["CPUExecutionProvider"])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(["logits"], {"image": np.ascontiguousarray(x, np.float32)})[0]
