"""Checkpoints that carry their meaning: the model, its classes and colours, the input size,
what training did. Only tensors and plain types are stored, so a loader restricted to
weights (``weights_only=True``) reads them; ``load_model(NAME, weights=CKPT)`` then predicts
with the dataset's own class names and colours.

Layout: ``{"format": "segcore-checkpoint", "version": 1, "model": NAME, "state_dict": {...},
"label_set": {"names", "colors", "void_index", "void_color"}, "input_size": S, "epochs": N,
"val": {"miou", "pixel_accuracy", ...}, "segcore_version": V, "train": {...}}``; a resumable
one also holds ``"optimizer"``.
"""

from __future__ import annotations

import dataclasses
import os
from functools import partial
from pathlib import Path

from ..errors import WeightsError
from ..fileio import write_with
from ..labels import LabelSet

__all__ = ["save_checkpoint", "spec_for_checkpoint", "label_set_of"]

FORMAT = "segcore-checkpoint"


def save_checkpoint(path: str | os.PathLike, *, model: str, state_dict, label_set: LabelSet, input_size: int,
                    epochs: int, val: dict | None = None, optimizer=None, train: dict | None = None) -> Path:
    """Write atomically (the previous file is kept as ``.bak``)."""
    import torch

    from .. import __version__

    obj = {
        "format": FORMAT, "version": 1, "model": model,
        "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
        "label_set": {"names": list(label_set.names), "colors": [list(c) for c in label_set.colors],
                      "void_index": label_set.void_index, "void_color": list(label_set.void_color)},
        "input_size": int(input_size), "epochs": int(epochs), "val": dict(val or {}),
        "segcore_version": __version__, "train": dict(train or {}),
    }
    if optimizer is not None:
        obj["optimizer"] = optimizer
    return write_with(path, lambda p: torch.save(obj, p))


def label_set_of(meta: dict, source: str = "checkpoint") -> LabelSet:
    try:
        ls = meta["label_set"]
        return LabelSet(tuple(ls["names"]), tuple(tuple(c) for c in ls["colors"]), int(ls["void_index"]),
                        tuple(ls["void_color"]))
    except (KeyError, TypeError, ValueError) as e:
        raise WeightsError(f"{source}: its class list is damaged ({e.__class__.__name__})") from None


def spec_for_checkpoint(spec, meta: dict, source: str):
    """The registry entry as this checkpoint runs it: its classes, its input size."""
    if meta.get("model") != spec.name:
        raise WeightsError(f"{source} was trained for model {meta.get('model')}, not {spec.name}; "
                           f"use that model name")
    label_set = label_set_of(meta, source)
    weights = spec.weights
    size = meta.get("input_size")
    if isinstance(size, int) and size > 0 and weights.transforms is not None:
        weights = dataclasses.replace(weights, transforms=partial(weights.transforms, resize_size=size))
    return dataclasses.replace(spec, label_set=label_set, weights=weights,
                               description=f"{spec.description}; trained by segcore on "
                                           f"{len(label_set)} classes ({', '.join(label_set.names[:4])}...)")
