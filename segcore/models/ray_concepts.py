"""SAM 3 concept pre-labelling on a Ray cluster: actors find the instances, the driver writes
them back with the local path's own writer (a COCO file is one file), so the files are the same.

Each actor loads SAM 3 once and encodes each of its images once for every class. As with
:mod:`.ray_predict`, the images and SAM 3's folder must be at the same path on every node.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

__all__ = ["concepts_with_ray"]


def _pack(shape, found) -> bytes:
    """One item's instances as ``.npz`` bytes (Ray Data moves bytes of any size)."""
    masks = np.stack([f.mask for f in found]) if found else np.zeros((0,) + tuple(shape), bool)
    buf = io.BytesIO()
    np.savez(buf, shape=np.asarray(shape, np.int64), classes=np.asarray([f.cls for f in found], np.int64),
             scores=np.asarray([f.score for f in found], np.float64), masks=np.packbits(masks, axis=-1))
    return buf.getvalue()


def _unpack(data: bytes):
    from ..dataset.prelabel_concepts import Found

    z = np.load(io.BytesIO(data))
    shape = tuple(int(v) for v in z["shape"])
    masks = np.unpackbits(z["masks"], axis=-1, count=shape[1]).astype(bool)
    return shape, [Found(int(c), m, float(s)) for c, s, m in zip(z["classes"], z["scores"], masks)]


class _Finder:
    """A Ray Data callable class: one SAM 3 per actor, one batch of images per call."""

    def __init__(self, model: str, weights: str, device: str, prompts: dict, threshold: float):
        from .registry import CONCEPTS
        from .resolve import load

        self.model = load(model, CONCEPTS, weights=weights, offline=True, device=device)
        self.prompts = {int(k): v for k, v in prompts.items()}
        self.threshold = threshold

    def __call__(self, batch: dict) -> dict:
        from ..dataset.prelabel_concepts import find_classes
        from ..errors import SegcoreError
        from ..image import load

        found, errors = [], []
        for p in batch["image"]:
            try:
                rgb = load(str(p))
                found.append(_pack(rgb.shape[:2], find_classes(self.model, rgb, self.prompts, self.threshold)))
                errors.append("")
            except SegcoreError as e:
                found.append(b"")
                errors.append(str(e))
        return {"index": batch["index"], "found": found, "error": errors}


def concepts_with_ray(ds, indices, prompts: dict[int, str], *, model: str, weights, threshold: float = 0.5,
                      device: str = "cpu", address: str | None = None, batch_size: int = 2,
                      num_cpus: int | None = None):
    """Yield ``(index, shape, [Found, ...] or None, error)`` for ``indices`` of a dataset whose
    images are files; ``model``: the concept entry, ``weights``: its folder here (resolved, and
    downloaded, by the caller: actors never download)."""
    from .ray_predict import _connect, _pool

    ray = _connect(address, num_cpus)
    rows = []
    for i in indices:
        path = ds.image_path(i)
        if path is None:
            yield int(i), None, None, "its image is inside its label file; pre-label it without --ray"
        else:
            rows.append({"index": int(i), "image": str(Path(path).resolve())})
    if not rows:
        return
    result = ray.data.from_items(rows).map_batches(
        _Finder, fn_constructor_kwargs=dict(model=model, weights=str(Path(weights).resolve()), device=device,
                                            prompts={str(k): v for k, v in prompts.items()}, threshold=threshold),
        batch_size=batch_size, **_pool(ray, device))
    for row in result.iter_rows():
        if row["error"]:
            yield int(row["index"]), None, None, row["error"]
        else:
            shape, found = _unpack(row["found"])
            yield int(row["index"]), shape, found, ""
