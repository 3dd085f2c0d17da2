"""A dataset's own models: checkpoints trained here (``segcore train``, the app's Train panel),
kept in the dataset's ``.segcore/models/`` and named ``trained:<stem>``.

Each is a registry entry's architecture with ``trained`` weights: the checkpoint carries its
classes and input size, which :func:`spec_for_checkpoint` puts on the entry it runs as.
(:mod:`segcore.train` writes these; the models layer only reads them, so it never imports
the training code.)
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..errors import ModelError, WeightsError
from ..labels import LabelSet

__all__ = ["PREFIX", "TrainedModel", "models_dir", "trained_models", "resolve_trained", "records",
           "label_set_of", "spec_for_checkpoint"]

PREFIX = "trained:"


@dataclass(frozen=True)
class TrainedModel:
    name: str            # "trained:<stem>", the name to pick it by
    model: str           # the registry architecture
    path: Path           # the best checkpoint
    info: dict           # the progress record


def models_dir(ds) -> Path:
    """The dataset's ``.segcore/models/`` folder."""
    return ds._status.path.parent / "models"


def _read(path: Path) -> dict | None:
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and rec.get("name", "").startswith(PREFIX) else None


def records(ds) -> list[tuple[Path, dict]]:
    """``(progress file, record)`` of every training of ``ds``, oldest first."""
    folder = models_dir(ds)
    if not folder.is_dir():
        return []
    out = []
    for p in folder.glob("*.json"):
        rec = _read(p)
        if rec is not None:
            out.append((p, rec))
    out.sort(key=lambda pr: (pr[1].get("started", 0), pr[0].name))
    return out


def trained_models(ds) -> list[TrainedModel]:
    """The dataset's models with a checkpoint, newest first."""
    out = []
    for path, rec in reversed(records(ds)):
        ckpt = path.with_suffix(".pth")
        if ckpt.is_file():
            out.append(TrainedModel(rec["name"], str(rec.get("model", "")), ckpt, rec))
    return out


def resolve_trained(ds, name: str) -> TrainedModel:
    """A model of the dataset by its name (``trained:<stem>``)."""
    models = trained_models(ds)
    for m in models:
        if m.name == name:
            return m
    known = ", ".join(m.name for m in models) or "none yet"
    raise ModelError(f"this dataset has no trained model {name!r} (its models: {known})")


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
    size = meta.get("input_size")
    weights = spec.weights
    if isinstance(size, int) and size > 0:
        weights = tuple(dataclasses.replace(w, preprocessing=partial(w.preprocessing, resize_size=size))
                        if w.preprocessing is not None else w for w in weights)
    return dataclasses.replace(spec, label_set=label_set, weights=weights,
                               description=f"{spec.description}; trained by segcore on "
                                           f"{len(label_set)} classes ({', '.join(label_set.names[:4])}...)")
