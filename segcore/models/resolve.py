"""The one resolver: which registry entry answers a request, ``auto`` included, and its weights.

``resolve(name, task)`` gives a :class:`Choice`: the entry, the weights entry it runs with and
where they are, or that they are to be downloaded first (``fetch``) and which weight-free
entry answers meanwhile. ``load(name, task)`` builds the choice (downloading where needed);
``obtain`` also says what was used and why. The CLI, the app and the portrait tools all ask here.

Weights are looked for in this order: a file the caller names; a file named in
``SEGCORE_WEIGHTS``; a model trained on the dataset (``trained:<stem>``); the cache folder
(checked against the published checksum); a download where the network allows. A name given
explicitly whose weights cannot be had raises one line naming the file and the folder.

``auto`` by task:

* ``segment``: the dataset's newest trained model; else the entry whose classes share the most
  names with ``label_set`` (background left out), weights here first, then those a download can
  bring, ties by the entry's ``auto`` rank. None where nothing fits (``fallback``: that entry).
* ``prompt``: the best-ranked entry for clicks and boxes that knows ``class_name`` (entries with
  ``objects`` know only those), weights here; where the best-ranked general one is missing but
  can be downloaded, it is chosen with ``fetch`` and the best entry here answers ``meanwhile``.
* ``concepts``: the best-ranked concept entry, weights here or to download.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ModelError, WeightsError
from ..labels import LabelSet
from .registry import CONCEPTS, PROMPT, SEGMENT, TASKS, ModelSpec, Weights, get, specs
from .weights import (checkpoint_dir, download_url, expected_check, is_offline, missing_message, named_weights,
                      verify)

__all__ = ["Choice", "resolve", "load", "obtain", "AUTO", "shared_classes"]

AUTO = "auto"
_BACKGROUND = {"background", "_background_", "__background__"}


@dataclass(frozen=True)
class Choice:
    """What answers a request. ``name``: the entry's name (``trained:<stem>`` for a dataset's
    model); ``weights``: the weights entry used (None: weight-free); ``path``: where it is here
    (None while ``fetch``: the published file is to be downloaded first); ``meanwhile``: with
    ``fetch``, the entry that answers until the download is done (None: nothing, wait);
    ``note``: one line saying why this and not what was asked for (a fallback, a download)."""

    name: str
    spec: ModelSpec
    task: str
    weights: Weights | None = None
    path: Path | None = None
    fetch: bool = False
    meanwhile: str | None = None
    note: str | None = None


def shared_classes(a: LabelSet | None, b: LabelSet | None) -> int:
    """How many class names two label sets share, background left out (case-insensitive)."""
    if a is None or b is None:
        return 0
    return len(({n.lower() for n in a.names} & {n.lower() for n in b.names}) - _BACKGROUND)


def _user_weights(spec: ModelSpec, path) -> Weights:
    path = Path(path).expanduser()
    if not spec.needs_weights:
        raise ModelError(f"model {spec.name} takes no weights file, but a weights file was given")
    if not path.exists():
        raise WeightsError(f"weights file {path} does not exist; check its path")
    return Weights("user", file_name=path.name, path=path,
                   preprocessing=spec.published.preprocessing if spec.published else None)


def _cached(spec: ModelSpec) -> Choice | None:
    """The entry with its published file from the cache folder (checked), or None where absent."""
    w = spec.published
    path = spec.weights_path()
    if path is None:
        return None
    if not w.files and not w.trust_cache:
        verify(path, expected_check(w), "the cached weights file", w.file_name)
    return Choice(spec.name, spec, "", w, path)


def _fetchable(spec: ModelSpec, offline: bool | None) -> bool:
    w = spec.published
    return w is not None and download_url(w) is not None and not is_offline(offline)


def _why_missing(spec: ModelSpec, offline: bool | None) -> str:
    w = spec.published
    if download_url(w) is None:
        return missing_message(spec.name, w.file_name, "this model has no public download", w.files)
    return missing_message(spec.name, w.file_name, "offline: download not attempted", w.files)


def _need_packages(spec: ModelSpec) -> None:
    missing = spec.missing_packages()
    if missing:
        raise ModelError(f"{spec.name} needs the {', '.join(missing)} package{'s' if len(missing) > 1 else ''}: "
                         f"pip install {' '.join(missing)}")


def _explicit(name: str, task: str, weights, dataset, offline) -> Choice:
    if name.startswith("trained:"):
        from .trained import resolve_trained

        if dataset is None:
            raise ModelError(f"{name} is a model trained on a dataset; open that dataset")
        if weights is not None:
            raise ModelError(f"{name} brings its own checkpoint; give no weights file")
        m = resolve_trained(dataset, name)
        spec = get(m.model, task)
        w = Weights("trained", file_name=m.path.name, path=m.path,
                    preprocessing=spec.published.preprocessing if spec.published else None)
        return Choice(name, spec, task, w, m.path)
    spec = get(name, task)
    _need_packages(spec)
    if weights is not None:
        w = _user_weights(spec, weights)
        return Choice(name, spec, task, w, w.path)
    if not spec.needs_weights:
        return Choice(name, spec, task)
    named = named_weights()[0].get(name)
    if named is not None:
        w = _user_weights(spec, named)
        return Choice(name, spec, task, w, w.path)
    here = _cached(spec)
    if here is not None:
        return replace(here, task=task)
    if _fetchable(spec, offline):
        return Choice(name, spec, task, spec.published, None, fetch=True,
                      note=f"downloading {spec.published.file_name} for {spec.title}")
    raise WeightsError(_why_missing(spec, offline))


def _ready(spec: ModelSpec, task: str) -> Choice | None:
    """``spec`` as it can run here now (weights here or named, packages installed), or None."""
    if spec.missing_packages():
        return None
    if not spec.needs_weights:
        return Choice(spec.name, spec, task)
    named = named_weights()[0].get(spec.name)
    if named is not None:
        w = _user_weights(spec, named)
        return Choice(spec.name, spec, task, w, w.path)
    try:
        here = _cached(spec)
    except WeightsError:
        return None
    return None if here is None else replace(here, task=task)


def _auto_segment(label_set, dataset, offline, fallback) -> Choice | None:
    if dataset is not None:
        from .trained import trained_models

        own = trained_models(dataset)
        if own:
            return _explicit(own[0].name, SEGMENT, None, dataset, offline)
        label_set = label_set if label_set is not None else getattr(dataset, "label_set", None)
    scored = []
    for i, spec in enumerate(specs(SEGMENT)):
        if SEGMENT not in spec.auto:
            continue
        n = shared_classes(spec.label_set, label_set)
        if n > 0:
            scored.append((-n, spec.auto[SEGMENT], i, spec))
    scored.sort(key=lambda t: t[:3])
    for *_, spec in scored:
        got = _ready(spec, SEGMENT)
        if got is not None:
            return got
    for *_, spec in scored:
        if not spec.missing_packages() and _fetchable(spec, offline):
            return Choice(spec.name, spec, SEGMENT, spec.published, None, fetch=True,
                          note=f"downloading {spec.published.file_name} for {spec.title}")
    if fallback is not None:
        spec = get(fallback, SEGMENT)
        why = _why_missing(scored[0][-1], offline) if scored else "no model knows these classes"
        return Choice(spec.name, spec, SEGMENT, note=f"using {spec.title}: {why}")
    return None


def _auto_ranked(task: str, class_name: str | None) -> list[ModelSpec]:
    out = [s for s in specs(task) if task in s.auto
           and (s.objects is None or (class_name is not None and class_name.lower() in s.objects))]
    return sorted(out, key=lambda s: s.auto[task])


def _auto_prompt(class_name, offline) -> Choice:
    ranked = _auto_ranked(PROMPT, class_name)
    best_general = next((s for s in ranked if s.objects is None), None)
    first_missing = None
    for spec in ranked:
        got = _ready(spec, PROMPT)
        if got is None:
            if first_missing is None and spec.objects is None:
                first_missing = spec
            continue
        if first_missing is None or spec is best_general:
            return got
        # A better entry is missing: download it where allowed, this one answers meanwhile.
        if _fetchable(first_missing, offline) and not first_missing.missing_packages():
            return Choice(first_missing.name, first_missing, PROMPT, first_missing.published, None, fetch=True,
                          meanwhile=spec.name,
                          note=f"downloading {first_missing.published.file_name} for {first_missing.title}; "
                               f"{spec.title} answers meanwhile")
        why = (f"{first_missing.name} needs pip install {' '.join(first_missing.missing_packages())}"
               if first_missing.missing_packages() else _why_missing(first_missing, offline))
        return replace(got, note=f"using {spec.title}: {why}")
    raise ModelError("no prompter can answer clicks and boxes here")


def _auto_concepts(offline) -> Choice:
    ranked = _auto_ranked(CONCEPTS, None)
    for spec in ranked:
        got = _ready(spec, CONCEPTS)
        if got is not None:
            return got
    for spec in ranked:
        if not spec.missing_packages() and _fetchable(spec, offline):
            return Choice(spec.name, spec, CONCEPTS, spec.published, None, fetch=True,
                          note=f"downloading {spec.published.file_name} for {spec.title}")
    if not ranked:
        raise ModelError("no model here finds concepts by name")
    _need_packages(ranked[0])
    raise WeightsError(_why_missing(ranked[0], offline))


def resolve(name: str | None = AUTO, task: str = SEGMENT, *, weights: str | os.PathLike | None = None,
            dataset=None, label_set: LabelSet | None = None, class_name: str | None = None,
            offline: bool | None = None, fallback: str | None = None) -> Choice | None:
    """What answers ``task`` (:data:`~segcore.models.registry.TASKS`) for ``name`` (an entry,
    ``trained:<stem>`` of ``dataset``, or ``auto``). Never downloads. ``weights``: a file the
    user names for ``name`` (with ``auto``: for the entry chosen). ``label_set`` / ``dataset``
    (segment), ``class_name`` (prompt) steer ``auto``; ``fallback``: the entry ``auto``
    segments with where nothing fits (the portrait tools: ``grabcut``). Returns None only for
    ``auto`` segment with nothing that fits and no fallback."""
    if task not in TASKS:
        raise ModelError(f"task is one of {', '.join(TASKS)}; got {task!r}")
    name = str(name or AUTO).strip()
    if name != AUTO:
        return _explicit(name, task, weights, dataset, offline)
    if weights is not None:   # a file for "auto": the entry auto prefers takes it, here or not
        best = _preferred(task, label_set if label_set is not None else getattr(dataset, "label_set", None),
                          class_name)
        if best is not None:
            return _explicit(best, task, weights, dataset, offline)
    if task == SEGMENT:
        got = _auto_segment(label_set, dataset, offline, fallback)
    elif task == PROMPT:
        got = _auto_prompt(class_name, offline)
    else:
        got = _auto_concepts(offline)
    return got


def _preferred(task: str, label_set, class_name) -> str | None:
    """The entry ``auto`` ranks first for ``task`` that takes weights, whatever is here."""
    if task == SEGMENT:
        scored = [(-shared_classes(s.label_set, label_set), s.auto[SEGMENT], i, s.name)
                  for i, s in enumerate(specs(SEGMENT)) if SEGMENT in s.auto and s.needs_weights]
        scored = [t for t in scored if t[0] < 0]
        return min(scored)[-1] if scored else None
    ranked = [s for s in _auto_ranked(task, class_name) if s.needs_weights]
    return ranked[0].name if ranked else None


def obtain(name: str | Choice | None = AUTO, task: str = SEGMENT, *, weights=None, dataset=None,
           label_set: LabelSet | None = None, class_name: str | None = None, offline: bool | None = None,
           fallback: str | None = None, progress=None, device: str = "cpu", backend: str | None = None,
           **options):
    """``(built model, the Choice used)``: the Choice of :func:`resolve` (or the one given),
    built, downloading its weights first where needed (``progress(received, total)``). An
    ``auto`` download that fails falls back to the ``meanwhile`` entry, with a note saying why."""
    choice = name if isinstance(name, Choice) else resolve(
        name, task, weights=weights, dataset=dataset, label_set=label_set, class_name=class_name,
        offline=offline, fallback=fallback)
    if choice is None:
        raise ModelError("no model at hand knows these classes; name one (see `segcore models`)")
    if choice.fetch:
        from .fetch import fetch

        try:
            path = fetch(choice.spec.name, choice.weights, offline=offline,
                         progress=progress if callable(progress) else None)
        except WeightsError as e:
            if choice.meanwhile is None:
                raise
            spec = get(choice.meanwhile, choice.task)
            choice = Choice(spec.name, spec, choice.task, note=f"using {spec.title}: {e}")
            return _build(choice, device, backend, options), choice
        choice = replace(choice, path=path, fetch=False, meanwhile=None, note=None)
    return _build(choice, device, backend, options), choice


def _build(choice: Choice, device, backend, options):
    if backend is not None and backend not in ("onnxruntime", "torch"):
        raise ModelError(f"unknown backend {backend!r}; choose onnxruntime or torch")
    spec = choice.spec
    return spec.builder(spec, choice.task, choice.path, device=device, backend=backend, weights=choice.weights,
                        **options)


def load(name: str | Choice | None = AUTO, task: str = SEGMENT, **kwargs):
    """The built model of :func:`obtain` alone."""
    return obtain(name, task, **kwargs)[0]
