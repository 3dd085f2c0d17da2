"""The one ONNX cache: a checkpoint exported once per part, beside it, and run on ONNX Runtime.

Files: ``<weights stem>.<key>.<part>.onnx`` (``<weights stem>.<key>.onnx`` for a single unnamed
part) beside the weights, or in ``<torch hub>/checkpoints/onnx/`` where that folder is not
writable. ``key`` hashes the checkpoint's sha256, what was exported (the model, the
architecture) and the segcore, torch and onnxruntime versions, so a changed checkpoint or an
upgrade exports again. Each file has a JSON sidecar holding its own sha256 (a file that does
not match, tampered or half-written, is exported again, never run), the size of its external
data file where it has one, and what its runner needs (preprocessing constants).

Used by the torch segmenters (:mod:`.onnx_backend`), the SAM family
(:mod:`.prompters.sam_export`) and SAM 2.1 (:mod:`.prompters.sam2_export`).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Callable

from ..errors import WeightsError
from ..fileio import write_text
from .weights import checkpoint_dir, digests, sha256_of

__all__ = ["cache_paths", "read_sidecar", "write_sidecar", "ensure", "session", "threads", "available"]

_lock = threading.Lock()


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def threads() -> int:
    """One thread per core this process may use; ONNX Runtime's default (all logical cores)
    oversubscribes machines whose cores are hyper-threaded, and this process has other work."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return max(1, n)


def cache_paths(weights: Path, what: str, parts=("",)) -> dict[str, tuple[Path, Path]]:
    """``{part: (onnx file, sidecar json)}`` for the checkpoint ``weights`` exported as ``what``."""
    import onnxruntime
    import torch

    from .. import __version__

    weights = Path(weights)
    h = hashlib.sha256(f"{digests(weights)[0]}|{what}|segcore {__version__}|torch {torch.__version__}|"
                       f"ort {onnxruntime.__version__}".encode())
    key = h.hexdigest()[:16]
    folder = weights.parent if os.access(weights.parent, os.W_OK) else checkpoint_dir() / "onnx"
    out = {}
    for part in parts:
        onnx = folder / (f"{weights.stem}.{key}.{part}.onnx" if part else f"{weights.stem}.{key}.onnx")
        out[part] = (onnx, onnx.with_suffix(".json"))
    return out


def read_sidecar(onnx: Path, sidecar: Path) -> dict | None:
    """The sidecar's contents where the ONNX file (and its data file) match it, else None."""
    if not (onnx.is_file() and sidecar.is_file()):
        return None
    try:
        meta = json.loads(sidecar.read_text())
        if meta.get("sha256") != sha256_of(onnx):
            return None
        data = meta.get("data")
        if data and (not (onnx.parent / data["file"]).is_file()
                     or (onnx.parent / data["file"]).stat().st_size != data["size"]):
            return None
        return meta
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None


def write_sidecar(onnx: Path, sidecar: Path, meta: dict) -> None:
    """The sidecar of a freshly exported ``onnx``: ``meta`` and the file's own sha256."""
    write_text(sidecar, json.dumps({**meta, "sha256": sha256_of(onnx)}), keep_backup=False)


def ensure(weights: Path, what: str, parts, export: Callable[[list[str], dict], None],
           force: bool = False) -> dict[str, tuple[Path, dict]]:
    """``{part: (onnx file, sidecar meta)}``, calling ``export(missing parts, paths)`` once for the
    parts whose file is missing or does not match its sidecar (``force``: all of them). The
    exporter writes each part's file and sidecar (:func:`write_sidecar`)."""
    paths = cache_paths(weights, what, tuple(parts))
    with _lock:
        metas = {part: None if force else read_sidecar(*paths[part]) for part in parts}
        missing = [part for part in parts if metas[part] is None]
        if missing:
            next(iter(paths.values()))[0].parent.mkdir(parents=True, exist_ok=True)
            export(missing, paths)
            for part in missing:
                metas[part] = read_sidecar(*paths[part])
                if metas[part] is None:
                    raise WeightsError(f"exporting {Path(weights).name} to ONNX left no usable {part or 'model'} "
                                       f"file in {paths[part][0].parent}")
    return {part: (paths[part][0], metas[part]) for part in parts}


def session(path: Path, n_threads: int | None = None):
    """An ONNX Runtime CPU session with the project's settings."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = n_threads or threads()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning worker threads steal the cores from the numpy / torch work around each run: off,
    # LR-ASPP at VOC size went from 127 to 82 ms per image here.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
