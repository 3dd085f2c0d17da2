"""The one registry of models: segmenters, prompters and concept models alike.

Each entry is a :class:`ModelSpec`: a name, what it can do (:data:`SEGMENT` a whole image,
answer clicks and boxes: :data:`PROMPT`, answer a text concept: :data:`CONCEPTS`), its label
set, its weights as tagged :class:`Weights` entries and a builder. Entries are registered by
the family files of :mod:`segcore.models.zoo` (one file per model family), which
:func:`register` fills on first read; a duplicate name is refused.

Which entry answers a request, ``auto`` included, is :func:`segcore.models.resolve.resolve`'s
to say; :func:`segcore.models.resolve.load` builds it. Reading the registry never imports
torch (the family files import their heavy parts inside their builders).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import ModelError
from ..labels import LabelSet

__all__ = ["SEGMENT", "PROMPT", "CONCEPTS", "TASKS", "TAGS", "Weights", "ModelSpec", "register", "get",
           "names", "specs", "META_KEYS", "get_model_spec", "list_models", "register_model", "load_model"]

#: What an entry can do: segment a whole image, answer clicks and boxes, answer a text concept.
SEGMENT, PROMPT, CONCEPTS = "segment", "prompt", "concepts"
TASKS = (SEGMENT, PROMPT, CONCEPTS)
#: Where a weights entry comes from: the model's publisher (url and checksum), an ImageNet
#: backbone a net starts training from, training on a dataset here, a file the user gave.
TAGS = ("published", "backbone", "trained", "user")
#: Keys a weights' ``meta`` may carry (checked by a test over the whole registry).
META_KEYS = {"num_params", "miou", "pixel_acc", "gflops", "file_size_mb", "dataset", "categories"}


#: Modules found installed: they stay so while the process runs, and the app asks on every
#: answer (its status line), where a look-up on the path took 4 ms. A missing one is looked for
#: again each time: it may be installed meanwhile.
_FOUND: set[str] = set()


def _installed(module: str) -> bool:
    from importlib.util import find_spec

    if module not in _FOUND:
        try:
            if find_spec(module) is None:
                return False
        except (ImportError, ValueError):
            return False
        _FOUND.add(module)
    return True


@dataclass(frozen=True)
class Weights:
    """One weights entry, tagged by where it comes from (``tag`` in :data:`TAGS`).

    ``file_name``: its name in the cache folder (``segcore.models.weights.checkpoint_dir()``);
    with ``files`` it is a folder there holding those files (a hub repository). ``url``: the
    published address (of the file; of the folder's files with ``files``: ``url/<file>``).
    ``check``: ``("sha256" | "sha256-prefix" | "git-blob-sha1", hex)`` of the published file,
    checked on a download and on the cached file (``trust_cache``: on a download only, for a
    cache folder another tool fills and checks, as torch.hub does); None where no checksum can
    be stated.
    ``gated``: the download needs the publisher's permission: how to get it (said when refused).
    ``path``: where a ``trained`` or ``user`` file is. ``preprocessing``: a factory of the
    preprocessing that belongs to these weights (keyword overrides allowed), None where the
    builder does its own. ``remap``: for a ``backbone``, the file's tensor name -> the net's
    (None: left out). ``meta``: published figures (:data:`META_KEYS`).
    """

    tag: str
    file_name: str | None = None
    url: str | None = None
    check: tuple[str, str] | None = None
    files: tuple[str, ...] = ()
    gated: str | None = None
    path: Path | None = None
    preprocessing: Callable[..., Any] | None = None
    remap: Callable[[str], str | None] | None = None
    trust_cache: bool = False
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.tag not in TAGS:
            raise ValueError(f"weights tag {self.tag!r} is not one of {TAGS}")

    @property
    def sha256(self) -> str | None:
        return self.check[1] if self.check and self.check[0] == "sha256" else None


#: ``builder(spec, task, path, *, weights, device="cpu", backend=None, **options)``: ``path`` is
#: the located file or folder (None for a weight-free entry), ``weights`` the :class:`Weights`
#: entry it is (its tag says whose: published, trained, user); returns a Segmenter (segment), a
#: fresh Prompter (prompt; heavy parts shared by the family's own cache) or a concept model.
Builder = Callable[..., Any]


@dataclass(frozen=True)
class ModelSpec:
    """A registry entry.

    ``can``: the tasks it does (:data:`TASKS`). ``label_set``: the classes its ``segment``
    gives (None: open vocabulary, as a concept model). ``objects``: for ``prompt``, the only
    object classes it knows (the selfie model: ``("person",)``); None: any object.
    ``auto``: ``{task: rank}`` for the tasks ``auto`` may choose it for, lower first.
    ``requires``: ``(module, pip package)`` pairs its builder imports.
    ``net`` / ``single_logit`` / ``size_divisor``: torch segmenters (training builds ``net(k)``).
    """

    name: str
    family: str
    can: frozenset
    label_set: LabelSet | None
    description: str
    builder: Builder
    weights: tuple[Weights, ...] = ()
    title: str = ""
    objects: tuple[str, ...] | None = None
    auto: Mapping[str, int] = field(default_factory=dict)
    requires: tuple[tuple[str, str], ...] = ()
    net: Callable[[int], Any] | None = None
    single_logit: bool = False
    size_divisor: int = 1

    def __post_init__(self):
        object.__setattr__(self, "can", frozenset(self.can))
        if not self.can or not self.can <= set(TASKS):
            raise ValueError(f"{self.name}: can is a non-empty subset of {TASKS}, got {sorted(self.can)}")
        if not set(self.auto) <= self.can:
            raise ValueError(f"{self.name}: auto names a task it cannot do")
        object.__setattr__(self, "weights", tuple(self.weights))
        if not self.title:
            object.__setattr__(self, "title", self.name)

    # -- weights ----------------------------------------------------------------------------
    def tagged(self, tag: str) -> Weights | None:
        """The first weights entry with this tag, or None."""
        return next((w for w in self.weights if w.tag == tag), None)

    @property
    def published(self) -> Weights | None:
        """The weights a load looks for in the cache folder: the published ones, else the
        first entry that names a file (the project's own nets: a file name, no url)."""
        return self.tagged("published") or next((w for w in self.weights if w.tag != "backbone"
                                                 and w.file_name), None)

    @property
    def needs_weights(self) -> bool:
        return self.published is not None

    @property
    def trainable(self) -> bool:
        return self.net is not None

    def meta(self, key: str, default=None):
        w = self.published
        return w.meta.get(key, default) if w else default

    def weights_path(self, explicit: str | os.PathLike | None = None) -> Path | None:
        """Where this entry's weights are on this machine, or None (never downloads, never hashes)."""
        from .weights import checkpoint_dir

        if explicit is not None:
            return Path(explicit) if os.path.exists(explicit) else None
        w = self.published
        if w is None:
            return None
        p = checkpoint_dir() / w.file_name
        if w.files:
            return p if all((p / f).is_file() for f in w.files) else None
        return p if p.is_file() else None

    def weights_available(self) -> bool:
        return not self.needs_weights or self.weights_path() is not None

    def missing_packages(self) -> list[str]:
        """The pip packages its builder needs that are not installed (none are imported)."""
        out = [pip for module, pip in self.requires if not _installed(module)]
        return list(dict.fromkeys(out))

    def card(self) -> dict:
        """Facts to show a user: what it can do, classes, published figures, weights' state."""
        w = self.published
        return {
            "name": self.name,
            "title": self.title,
            "family": self.family,
            "can": sorted(self.can, key=TASKS.index),
            "description": self.description,
            "classes": None if self.label_set is None else len(self.label_set),
            "objects": list(self.objects) if self.objects else None,
            "weights_file": w.file_name if w else None,
            "weights_url": w.url if w else None,
            "weights_present": self.weights_available(),
            "packages_missing": self.missing_packages(),
            "miou": self.meta("miou"),
            "pixel_acc": self.meta("pixel_acc"),
            "num_params": self.meta("num_params"),
            "gflops": self.meta("gflops"),
        }


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add an entry (a family file does, at import); a duplicate name is refused."""
    if spec.name in _REGISTRY:
        raise ValueError(f"a model named {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def _ensure_zoo() -> None:
    from . import zoo

    zoo.load_families()


def names(can: str | None = None, *, family: str | None = None, auto: bool = False) -> list[str]:
    """Registered names in registry order; ``can``: only those doing that task; ``auto``: only
    those ``auto`` may choose for it."""
    _ensure_zoo()
    return [n for n, s in _REGISTRY.items()
            if (can is None or can in s.can) and (family is None or s.family == family)
            and (not auto or (can in s.auto if can else bool(s.auto)))]


def specs(can: str | None = None) -> list[ModelSpec]:
    return [_REGISTRY[n] for n in names(can)]


def get(name: str, can: str | None = None) -> ModelSpec:
    """The entry ``name``; with ``can``, refused (one line) where it cannot do that task."""
    _ensure_zoo()
    try:
        spec = _REGISTRY[name]
    except KeyError:
        known = names(can)
        raise ModelError(f"unknown model {name!r}; choose one of: {', '.join(known)}") from None
    if can is not None and can not in spec.can:
        raise ModelError(f"{name} cannot {_VERB[can]}; choose one of: {', '.join(names(can))}")
    return spec


_VERB = {SEGMENT: "segment a whole image", PROMPT: "answer clicks and boxes", CONCEPTS: "find a concept by name"}


# -- the names the rest of segcore has used (thin: the one registry underneath) ---------------
def get_model_spec(name: str) -> ModelSpec:
    return get(name)


def list_models(family: str | None = None) -> list[str]:
    """Names of the entries that segment a whole image (optionally of one family)."""
    return names(SEGMENT, family=family)


def register_model(spec: ModelSpec) -> ModelSpec:
    return register(spec)


def load_model(name: str, *, weights: str | os.PathLike | None = None, offline: bool | None = None,
               device: str = "cpu", progress=None, backend: str | None = None):
    """A ready :class:`~segcore.models.segmenter.Segmenter` for ``name`` (see
    :func:`segcore.models.resolve.load`)."""
    from .resolve import load

    return load(name, SEGMENT, weights=weights, offline=offline, device=device, progress=progress,
                backend=backend)
