"""Find all: every instance of a class, found by its name (SAM 3), added to the open item as one
undoable step.

On an item of objects (COCO, labelme, VOC with ``SegmentationObject/``) each instance scored
above the threshold becomes a new object of the class with its score, the surest on top; on a
class map the instances' union takes the class. Either way the overwrite rule decides which
pixels they may take, as for every tool (:mod:`segcore.edit.apply`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import PromptError

__all__ = ["FindAll", "find_all"]


@dataclass(frozen=True)
class FindAll:
    """What Find all did: ``found`` instances above the threshold (``scores``, surest first),
    ``ids`` of the objects added (empty on a class map), ``changed`` pixels that took the class."""

    text: str
    found: int
    scores: tuple[float, ...]
    ids: tuple[int, ...]
    changed: int


def find_all(session, model, cls, text: str | None = None, threshold: float = 0.5, overwrite: str | None = None,
             key=None) -> FindAll:
    """Find every instance of class ``cls`` (index or name) of ``session``'s photo with
    ``model`` (a :class:`~segcore.models.sam3.ConceptModel`), prompted by ``text`` (default:
    the class's name), and add them as one step. ``key`` names the photo for the model's cache
    (the same key: the photo is not encoded again)."""
    k = session.class_index(cls)
    name = session.label_set.names[k]
    text = name if text is None or not str(text).strip() else str(text).strip()
    session.rule.with_overwrite(overwrite).check_target(k, session.label_set)   # before SAM 3's seconds
    try:
        threshold = float(threshold)
    except (TypeError, ValueError):
        threshold = -1.0
    if not 0 <= threshold <= 1:
        raise PromptError("the score threshold is a number between 0 and 1")
    found = model.instances(session.rgb, [text], threshold, key=key)[0]
    found = sorted(found, key=lambda f: f.score)            # added in this order: the surest on top
    scores = tuple(f.score for f in reversed(found))
    if not found:
        session.last_changed = 0
        return FindAll(text, 0, (), (), 0)
    if session.has_objects:
        ids = session.add_objects([(k, f.mask, f.score) for f in found], overwrite=overwrite)
        return FindAll(text, len(found), scores, tuple(ids), int(session.last_changed or 0))
    union = np.zeros(session.shape, bool)
    for f in found:
        union |= f.mask
    session.region(union, k, overwrite=overwrite)
    return FindAll(text, len(found), scores, (), int(session.last_changed or 0))
