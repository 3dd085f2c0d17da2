"""Pre-labelling: fill every item that has no labels with a model's prediction.

Items a person touched (``edited``, ``reviewed``) are never written; ``predicted`` ones only
when asked. Each item is written as it is done (status first, then the label file, both
atomic), so a run that is stopped can simply be run again: it continues with what is left.
The model's classes are mapped onto the dataset's by name (background aliases understood);
a class the dataset lacks becomes void, so nothing is silently called something else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..errors import FormatError, SegcoreError
from ..labels import LabelSet
from .base import Dataset

__all__ = ["prelabel", "class_mapping", "PrelabelStep", "todo"]


@dataclass(frozen=True)
class PrelabelStep:
    index: int
    name: str
    outcome: str          # "predicted" or "failed"
    message: str = ""


def class_mapping(model: LabelSet, dataset: LabelSet) -> tuple[np.ndarray, list[str]]:
    """``(256,)`` uint8 lookup from the model's indices to the dataset's, and the model's
    class names the dataset does not have (they map to void)."""
    lut = np.full(256, dataset.void_index, np.uint8)
    missing = []
    for k, name in enumerate(model.names):
        try:
            lut[k] = dataset.index_of(name)
        except FormatError:
            missing.append(name)
    return lut, missing


def todo(ds: Dataset, overwrite_predicted: bool = False) -> list[int]:
    """Indices pre-labelling would write."""
    wanted = ("unlabelled", "predicted") if overwrite_predicted else ("unlabelled",)
    return [i for i in range(len(ds)) if ds.status(i) in wanted]


def prelabel(ds: Dataset, model, *, overwrite_predicted: bool = False, indices=None,
             **predict_kw) -> Iterator[PrelabelStep]:
    """Predict the items of ``ds`` that have no labels (or ``indices``); yields one step per
    item. ``model`` is a loaded Segmenter. A dataset without classes takes the model's."""
    model_ls = model.spec.label_set if getattr(model, "spec", None) is not None else model.label_set
    if ds.label_set is None:
        ds.set_label_set(model_ls)
    lut, _ = class_mapping(model_ls, ds.label_set)
    allowed = ("unlabelled", "predicted") if overwrite_predicted else ("unlabelled",)
    for i in (todo(ds, overwrite_predicted) if indices is None else indices):
        item = ds[i]
        if item.status not in allowed:
            continue
        try:
            seg = model.predict(ds.read_image(i), **predict_kw)
            ds.write_labels(i, lut[seg.labels], status="predicted")
        except SegcoreError as e:
            yield PrelabelStep(i, item.name, "failed", str(e))
            continue
        yield PrelabelStep(i, item.name, "predicted")
