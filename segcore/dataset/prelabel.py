"""Pre-labelling: fill every item that has no labels with a model's prediction.

Items a person touched (``edited``, ``reviewed``) are never written; ``predicted`` ones only
when asked. Each item is written as it is done (status first, then the label file, both
atomic), so a run that is stopped can simply be run again: it continues with what is left.
The model's classes are mapped onto the dataset's by name (background aliases understood);
a class the dataset lacks becomes void, so nothing is silently called something else.

Each item pre-labelled records, in the status file, the model that wrote it and its
confidence: the mean over the pixels of the winning class's probability (models that give
none, GrabCut, record no confidence). The per-pixel confidence is kept as a grey PNG in
``.segcore/confidence/`` (255 = sure), so the least sure items can be reviewed first
(:func:`least_sure_first`) and their uncertain pixels shown (:func:`uncertain_pixels`).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import io
from pathlib import Path

import numpy as np

from ..errors import FormatError, SegcoreError
from ..fileio import write_bytes
from ..labels import LabelSet
from .base import Dataset

__all__ = ["prelabel", "class_mapping", "PrelabelStep", "todo", "least_sure_first", "next_least_sure",
           "uncertain_pixels", "uncertain_overlay", "confidence_path", "item_confidence", "status_note",
           "keep_confidence"]


@dataclass(frozen=True)
class PrelabelStep:
    index: int
    name: str
    outcome: str          # "predicted" or "failed"
    message: str = ""
    confidence: float | None = None


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


def writable_statuses(overwrite_predicted: bool = False) -> tuple[str, ...]:
    """The statuses of the items pre-labelling writes."""
    return ("unlabelled", "predicted") if overwrite_predicted else ("unlabelled",)


def todo(ds: Dataset, overwrite_predicted: bool = False) -> list[int]:
    """Indices pre-labelling would write."""
    wanted = writable_statuses(overwrite_predicted)
    return [i for i in range(len(ds)) if ds.status(i) in wanted]


def pending(ds: Dataset, overwrite_predicted: bool = False, indices=None) -> Iterator[tuple[int, object]]:
    """``(index, item)`` of the items a pre-labelling run writes (of ``indices`` where given)."""
    allowed = writable_statuses(overwrite_predicted)
    for i in (todo(ds, overwrite_predicted) if indices is None else indices):
        item = ds[i]
        if item.status in allowed:
            yield i, item


@contextmanager
def still_to_label(ds: Dataset, i: int, allowed=("unlabelled",)):
    """Under the dataset's lock, with item ``i`` read again: a one-line FormatError where a
    person labelled it while the model ran (a model takes seconds to minutes an item), so a
    prediction never overwrites what a person made."""
    with ds.lock:
        ds.refresh(i)
        if ds.status(i) not in allowed:
            raise FormatError(f"{ds[i].name} was labelled by someone else meanwhile; left as it is")
        yield


def item_confidence(seg) -> float | None:
    """Mean winning-class probability over the pixels (0-1), None where the model gives none."""
    conf = getattr(seg, "confidence", None)
    return None if conf is None or not conf.size else float(np.mean(conf, dtype=np.float64))


def confidence_path(ds: Dataset, i: int) -> Path:
    """Where item ``i``'s per-pixel confidence is kept (grey PNG, 0-255 = 0-1)."""
    return ds._status.path.parent / "confidence" / f"{ds.names[i]}.png"


def keep_confidence(ds: Dataset, i: int, conf: np.ndarray | None) -> None:
    """Keep item ``i``'s per-pixel confidence ``(H, W)`` float 0-1 (None: forget it)."""
    from PIL import Image

    path = confidence_path(ds, i)
    if conf is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    Image.fromarray(np.clip(conf * 255 + 0.5, 0, 255).astype(np.uint8), mode="L").save(buf, "PNG", compress_level=1)
    write_bytes(path, buf.getvalue(), keep_backup=False)


def uncertain_pixels(ds: Dataset, i: int, threshold: float = 0.5) -> np.ndarray | None:
    """``(H, W)`` bool: the pixels where the model that pre-labelled item ``i`` gave its
    winning class a probability below ``threshold``; None where none was recorded."""
    from PIL import Image

    path = confidence_path(ds, i)
    if not path.is_file():
        return None
    with Image.open(path) as im:
        conf = np.asarray(im.convert("L"))
    return conf < threshold * 255


def least_sure_first(ds: Dataset, statuses=None) -> list[int]:
    """Items (those of ``statuses``, default all) by recorded confidence, least sure first;
    items without one follow, in dataset order."""
    wanted = None if statuses is None else ({statuses} if isinstance(statuses, str) else set(statuses))
    keyed = []
    for i in range(len(ds)):
        if wanted is not None and ds.status(i) not in wanted:
            continue
        c = ds.item_info(i).get("confidence")
        keyed.append((c is None, 0.0 if c is None else c, i))
    return [i for _, _, i in sorted(keyed)]


def next_least_sure(ds: Dataset, current: int | None) -> int:
    """The item after ``current`` in :func:`least_sure_first` order that is not reviewed
    (wrapping round); FormatError when every item is reviewed."""
    order = least_sure_first(ds)
    start = order.index(current) if current in order else -1
    for k in range(1, len(order) + 1):
        i = order[(start + k) % len(order)]
        if ds.status(i) != "reviewed":
            return i
    raise FormatError("every item is reviewed")


def uncertain_overlay(rgb: np.ndarray, uncertain: np.ndarray, colour=(255, 0, 255), opacity: float = 0.6) -> np.ndarray:
    """RGB uint8 ``(H, W, 3)``: the photo dimmed, the uncertain pixels (``(H, W)`` bool) in ``colour``."""
    out = (rgb.astype(np.float32) * 0.6).astype(np.uint8)
    out[uncertain] = (rgb[uncertain] * (1 - opacity) + np.array(colour, np.float32) * opacity).astype(np.uint8)
    return out


def status_note(ds: Dataset, i: int, status: str | None = None) -> str:
    """``"predicted by NAME, confidence 0.71"`` for an item a model wrote; its status otherwise."""
    status = ds.status(i) if status is None else status
    if status != "predicted":
        return status
    info = ds.item_info(i)
    note = f"predicted by {info['model']}" if info.get("model") else status
    return note + (f", confidence {info['confidence']:.2f}" if "confidence" in info else "")


def prelabel(ds: Dataset, model, *, overwrite_predicted: bool = False, indices=None, model_name: str | None = None,
             by: str = "local", **predict_kw) -> Iterator[PrelabelStep]:
    """Predict the items of ``ds`` that have no labels (or ``indices``); yields one step per
    item. ``model`` is a loaded Segmenter; ``model_name`` (default its registry name) is
    recorded with each item's confidence; ``by``: who ran it (the items' history records
    it). A dataset without classes takes the model's."""
    model_ls = model.spec.label_set if getattr(model, "spec", None) is not None else model.label_set
    if ds.label_set is None:
        ds.set_label_set(model_ls)
    lut, _ = class_mapping(model_ls, ds.label_set)
    if model_name is None:
        spec = getattr(model, "spec", None)
        model_name = getattr(spec, "name", None) or type(model).__name__
    allowed = writable_statuses(overwrite_predicted)
    for i, item in pending(ds, overwrite_predicted, indices):
        try:
            seg = model.predict(ds.read_image(i), **predict_kw)
            score = item_confidence(seg)
            with still_to_label(ds, i, allowed):
                ds.write_labels(i, lut[seg.labels], status="predicted", by=by,
                                tool=f"model {model_name}")
                keep_confidence(ds, i, seg.confidence)
                ds.set_item_info(i, model=model_name, confidence=score)
        except SegcoreError as e:
            yield PrelabelStep(i, item.name, "failed", str(e))
            continue
        yield PrelabelStep(i, item.name, "predicted", confidence=score)
