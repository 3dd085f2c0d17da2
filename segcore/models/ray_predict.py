"""Prediction on a Ray cluster with Ray Data: the same label PNGs as the local path.

The file paths become a Ray dataset; ``map_batches`` runs them through a pool of actors, each
of which loads the model once (``_Predictor``) and writes its outputs with the local path's
own writer, so the files are identical. On a cluster, the images, the weights file and the
output folder must be at the same path on every node (a shared file system), as Ray does not
move files. Start a cluster with ``ray start --head`` on one machine (``ray start
--address=HEAD:6379`` on the others) and pass ``--ray ray://HEAD:10001`` (or ``auto`` on a
node of it); without an address a local Ray instance is started on this machine.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["predict_with_ray"]


class _Predictor:
    """A Ray Data callable class: one model per actor, one batch of paths per call."""

    def __init__(self, model: str, weights, device: str, backend, out: str, overlay: bool):
        from .registry import load_model

        self.model = load_model(model, weights=weights, device=device, backend=backend)
        self.out = Path(out)
        self.overlay = overlay

    def __call__(self, batch: dict) -> dict:
        from .batch import predict_files

        paths = [str(p) for p in batch["path"]]
        done = {r.path: r.error or "" for r in predict_files(self.model, paths, self.out, overlay=self.overlay,
                                                             readers=1, writers=1)}
        return {"path": paths, "error": [done.get(p, "not predicted") for p in paths]}


def _connect(address: str | None, num_cpus: int | None):
    """Join the cluster at ``address``, or start a local Ray instance; the workers see this
    process's SEGCORE_OFFLINE and TORCH_HOME."""
    try:
        import ray
    except ImportError:
        from ..errors import ModelError
        raise ModelError("--ray needs Ray Data: pip install 'ray[data]'") from None
    if not ray.is_initialized():
        env = {k: os.environ[k] for k in ("SEGCORE_OFFLINE", "TORCH_HOME") if k in os.environ}
        kw = dict(runtime_env={"env_vars": env}, include_dashboard=False, log_to_driver=False,
                  configure_logging=False)
        if address in (None, "", "local"):
            ray.init(num_cpus=num_cpus, **kw)
        else:
            ray.init(address=address, **kw)
    return ray


def _pool(ray, device: str, actors: int | None = None) -> dict:
    """``map_batches`` options: a GPU per actor on CUDA, else two CPUs (the forward's threads)."""
    cpus = int(ray.cluster_resources().get("CPU", 1))
    gpu = str(device).startswith("cuda")
    return dict(concurrency=actors or max(1, cpus // 2), num_gpus=1 if gpu else 0,
                num_cpus=1 if gpu else min(2, cpus))


def predict_with_ray(files, out, *, model: str, weights=None, device: str = "cpu", backend=None,
                     overlay: bool = False, address: str | None = None, batch_size: int = 4,
                     actors: int | None = None, num_cpus: int | None = None) -> tuple[int, list[tuple[str, str]]]:
    """Predict ``files`` into ``out`` on Ray; ``(files written, [(path, error), ...])``."""
    ray = _connect(address, num_cpus)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    files = [str(Path(f).resolve()) for f in files]
    weights = str(Path(weights).resolve()) if weights else None
    data = ray.data.from_items([{"path": f} for f in files])
    result = data.map_batches(
        _Predictor, fn_constructor_kwargs=dict(model=model, weights=weights, device=device, backend=backend,
                                               out=str(out), overlay=overlay),
        batch_size=batch_size, **_pool(ray, device, actors))
    failed, written = [], 0
    for row in result.iter_rows():
        if row["error"]:
            failed.append((row["path"], row["error"]))
        else:
            written += 1
    return written, failed


class _Labeller:
    """Actors predict label maps; the driver writes them back (a COCO file is one file)."""

    def __init__(self, model: str, weights, device: str, backend):
        from .registry import load_model

        self.model = load_model(model, weights=weights, device=device, backend=backend)

    def __call__(self, batch: dict) -> dict:
        from ..errors import SegcoreError
        from ..image import load

        labels, errors = [], []
        for p in batch["image"]:
            try:
                labels.append(self.model.predict(load(str(p))).labels)
                errors.append("")
            except SegcoreError as e:
                labels.append(None)
                errors.append(str(e))
        return {"index": batch["index"], "labels": labels, "error": errors}


def prelabel_with_ray(ds, indices, *, model: str, weights=None, device: str = "cpu", backend=None,
                      address: str | None = None, batch_size: int = 4, num_cpus: int | None = None):
    """Yield ``(index, labels or None, error)`` for ``indices`` of a dataset whose images are files."""
    ray = _connect(address, num_cpus)
    rows = [{"index": int(i), "image": str(Path(ds.image_path(i)).resolve())} for i in indices]
    result = ray.data.from_items(rows).map_batches(
        _Labeller, fn_constructor_kwargs=dict(model=model, weights=str(Path(weights).resolve()) if weights else None,
                                              device=device, backend=backend),
        batch_size=batch_size, **_pool(ray, device))
    for row in result.iter_rows():
        yield int(row["index"]), row["labels"], row["error"]
