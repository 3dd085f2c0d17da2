"""Which model to segment a dataset with: the best one at hand for its classes.

A model trained on the dataset comes first (the newest); else the registry's model whose
classes share the most names with the dataset's (background left out), among those whose
weights are on this machine. GrabCut is never chosen: with no prompt it only guesses a
foreground, which would overwrite a labelled photo.
"""

from __future__ import annotations

from ..labels import LabelSet
from .registry import get_model_spec, list_models

__all__ = ["best_model", "PROMPT_ONLY"]

#: Models that need a prompt to be useful: never a Segment default.
PROMPT_ONLY = ("grabcut",)
_BACKGROUND = {"background", "_background_", "__background__"}


def _shared(a: LabelSet, b: LabelSet) -> int:
    return len(({n.lower() for n in a.names} & {n.lower() for n in b.names}) - _BACKGROUND)


def best_model(label_set: LabelSet | None, trained=()) -> str | None:
    """The name of the best model at hand for ``label_set``, or None. ``trained``: names of
    the dataset's own models, newest first."""
    trained = list(trained)
    if trained:
        return trained[0]
    if label_set is None:
        return None
    best, score = None, 0
    for name in list_models():
        if name in PROMPT_ONLY:
            continue
        spec = get_model_spec(name)
        n = _shared(spec.label_set, label_set)
        if n > score and spec.weights_available():
            best, score = name, n
    return best
