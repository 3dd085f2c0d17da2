"""Pre-labelling by concepts: every class of a dataset found by its name in every image without
labels (SAM 3, :mod:`segcore.models.sam3`).

Each image is encoded once; each class is then one prompt, its prompt text or its name
(:mod:`.concept_prompts`; the class named background is not prompted). The instances scored
above the threshold are written as the item's labels: on an instance dataset (COCO, labelme,
VOC with ``SegmentationObject/``) each becomes an object of its class with its score, the
surest on top; on a semantic one they are painted into the class map under the ``unlabelled``
overwrite rule, surest first. Either way a pixel several instances claim shows the surest, and
pixels no instance covers stay void (the class named background, where there is one).

Items a person touched (``edited``, ``reviewed``) are never written. Each item written records
the model and its confidence: per pixel, the score of the instance that took it (0 where none
did), kept as the grey PNG other pre-labels keep; the item's confidence is its mean over the
pixels, so an image where little was found, or found unsure, comes early in least-sure-first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..edit.apply import ApplyRule, background_index
from ..errors import FormatError, SegcoreError
from ..labels import LabelSet
from .base import Dataset
from .concept_prompts import concept_prompts, prompted_classes
from .prelabel import PrelabelStep, keep_confidence, pending, still_to_label, writable_statuses

__all__ = ["Found", "class_prompts", "find_classes", "paint_found", "found_objects", "write_found",
           "prelabel_concepts"]


@dataclass(frozen=True, eq=False)
class Found:
    """One instance of class ``cls``: ``mask`` ``(H, W)`` bool, ``score`` 0-1."""

    cls: int
    mask: np.ndarray
    score: float


def class_prompts(ds: Dataset) -> dict[int, str]:
    """``{class index: prompt text}`` of the classes a pre-label prompts."""
    ls = ds.label_set
    if ls is None:
        raise FormatError(f"{ds.root} has no classes; SAM 3 finds classes by name: give it a class list first")
    texts = concept_prompts(ds)
    return {k: texts.get(ls.names[k], ls.names[k]) for k in prompted_classes(ls)}


def find_classes(model, rgb: np.ndarray, prompts: dict[int, str], threshold: float = 0.5) -> list[Found]:
    """Every instance of every class of ``prompts`` in RGB uint8 ``(H, W, 3)``, the photo encoded
    once; in class order, then the model's."""
    classes = list(prompts)
    found = model.instances(rgb, [prompts[k] for k in classes], threshold)
    return [Found(k, inst.mask, inst.score) for k, each in zip(classes, found) for inst in each]


def paint_found(found: list[Found], shape: tuple[int, int], label_set: LabelSet) -> tuple[np.ndarray, np.ndarray]:
    """``(labels (H, W) uint8, confidence (H, W) float32)``: the instances painted surest first
    under the ``unlabelled`` rule on void (background where a class has that name); the
    confidence of a pixel is its instance's score, 0 where none took it."""
    bg = background_index(label_set)
    labels = np.full(shape, label_set.void_index if bg is None else bg, np.uint8)
    conf = np.zeros(shape, np.float32)
    rule = ApplyRule("unlabelled")
    for f in sorted(found, key=lambda f: -f.score):      # stable: ties keep class order
        take = f.mask & rule.writable(labels, label_set)
        labels[take] = f.cls
        conf[take] = f.score
    return labels, conf


def found_objects(objects, found: list[Found]):
    """``objects`` (an item's :class:`~segcore.objects.Objects`) with its objects replaced by the
    instances found, each keeping its score, the surest on top (ties: the earlier class), so the
    class map they draw is :func:`paint_found`'s."""
    from ..objects import Obj, ObjMask

    for o in list(objects):
        objects = objects.remove(o.id)
    new = []
    for f in reversed(sorted(found, key=lambda f: -f.score)):
        m = ObjMask.from_full(f.mask)
        if m is not None:
            new.append(Obj(objects.new_id(), f.cls, m, score=f.score))
    return objects.add_many(new)


def write_found(ds: Dataset, i: int, found: list[Found], shape: tuple[int, int], model_name: str,
                allowed=("unlabelled",)) -> float:
    """Write the instances found in item ``i`` (its image ``shape`` ``(H, W)``) as its labels
    (status ``predicted``), record the model and the confidence; returns the item's confidence.
    A one-line FormatError, nothing written, where the item's status is no longer one of
    ``allowed`` (a person labelled it while the model ran)."""
    labels, conf = paint_found(found, tuple(shape), ds.label_set)
    score = float(np.mean(conf, dtype=np.float64)) if conf.size else 0.0
    with still_to_label(ds, i, allowed):
        if ds.has_objects:
            ds.write_objects(i, found_objects(ds.read_objects(i), found), status="predicted")
        else:
            ds.write_labels(i, labels, status="predicted")
        keep_confidence(ds, i, conf)
        ds.set_item_info(i, model=model_name, confidence=score)
    return score


def prelabel_concepts(ds: Dataset, model, *, threshold: float = 0.5, overwrite_predicted: bool = False,
                      indices=None, model_name: str = "sam3") -> Iterator[PrelabelStep]:
    """Find every class of ``ds`` in the items that have no labels (or ``indices``) with a
    :class:`~segcore.models.sam3.ConceptModel`; yields one step per item."""
    prompts = class_prompts(ds)
    for i, item in pending(ds, overwrite_predicted, indices):
        try:
            rgb = ds.read_image(i)
            found = find_classes(model, rgb, prompts, threshold)
            score = write_found(ds, i, found, rgb.shape[:2], model_name, writable_statuses(overwrite_predicted))
        except SegcoreError as e:
            yield PrelabelStep(i, item.name, "failed", str(e))
            continue
        yield PrelabelStep(i, item.name, "predicted", confidence=score)
