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

import os
from pathlib import Path

from ..fileio import write_with
from ..labels import LabelSet
from ..models.trained import label_set_of, spec_for_checkpoint

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
