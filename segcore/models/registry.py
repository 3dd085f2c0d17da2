"""The one registry of models, read by the CLI and the app.

Each entry is a :class:`ModelSpec`: a name, its label set, its weights (file name, download
address, the preprocessing that belongs to them and their published figures) and how to build
a :class:`~segcore.models.segmenter.Segmenter`. Entries are added by :func:`register_model`, which
refuses a duplicate name; ``segcore.models.zoo`` holds them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ModelError
from ..labels import LabelSet

__all__ = ["WeightsInfo", "ModelSpec", "register_model", "get_model_spec", "list_models",
           "load_model"]

#: Keys a weights' ``meta`` may carry (checked by a test over the whole registry).
META_KEYS = {"num_params", "miou", "pixel_acc", "gflops", "file_size_mb", "dataset", "categories"}


@dataclass(frozen=True)
class WeightsInfo:
    """One checkpoint: its file name, download address (None: no public one), preprocessing
    factory (called only when needed, keyword overrides allowed; None where the model
    preprocesses itself), published figures and, where published, its sha256."""

    file_name: str
    url: str | None
    transforms: Callable[..., Any] | None = None
    meta: dict = field(default_factory=dict)
    sha256: str | None = None   # checked on the cached file and on a download


@dataclass(frozen=True)
class ModelSpec:
    """A registry entry. ``loader(spec, weights=..., offline=..., device=..., progress=...)``
    returns a ready Segmenter."""

    name: str
    family: str                      # "torchvision", "segcore" or "opencv"
    label_set: LabelSet
    description: str
    loader: Callable[..., Any]
    weights: WeightsInfo | None = None
    #: torch entries: ``net(num_classes)`` builds the network (for loading and for training)
    net: Callable[[int], Any] | None = None
    #: with two classes the net has one sigmoid logit (the seeds' UNet), not two
    single_logit: bool = False
    size_divisor: int = 1

    @property
    def trainable(self) -> bool:
        return self.net is not None

    @property
    def needs_weights(self) -> bool:
        return self.weights is not None

    def meta(self, key: str, default=None):
        return self.weights.meta.get(key, default) if self.weights else default

    def weights_path(self, explicit: str | os.PathLike | None = None):
        """Where this model's weights are on this machine, or None (never downloads)."""
        from .weights import checkpoint_dir

        if explicit is not None:
            return explicit if os.path.isfile(explicit) else None
        if self.weights is None:
            return None
        p = checkpoint_dir() / self.weights.file_name
        return p if p.is_file() else None

    def weights_available(self) -> bool:
        return self.weights is None or self.weights_path() is not None

    def card(self) -> dict:
        """Facts to show a user: classes, published figures, whether weights are here."""
        return {
            "name": self.name,
            "family": self.family,
            "description": self.description,
            "classes": len(self.label_set),
            "weights_file": self.weights.file_name if self.weights else None,
            "weights_present": self.weights_available(),
            "miou": self.meta("miou"),
            "pixel_acc": self.meta("pixel_acc"),
            "num_params": self.meta("num_params"),
            "gflops": self.meta("gflops"),
        }


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> ModelSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"a model named {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def _ensure_zoo() -> None:
    from . import zoo  # noqa: F401  (importing fills the registry)


def list_models(family: str | None = None) -> list[str]:
    """Registered model names, optionally of one family."""
    _ensure_zoo()
    return [n for n, s in _REGISTRY.items() if family is None or s.family == family]


def get_model_spec(name: str) -> ModelSpec:
    _ensure_zoo()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; choose one of: {', '.join(_REGISTRY)}") from None


def load_model(name: str, *, weights: str | os.PathLike | None = None, offline: bool | None = None,
               device: str = "cpu", progress: bool = False, backend: str | None = None):
    """A ready :class:`~segcore.models.segmenter.Segmenter` for ``name`` (weights found as in
    :mod:`segcore.models.weights`).

    ``backend`` (torch entries): ``"onnxruntime"`` or ``"torch"``; default ONNX Runtime on a
    CPU where it is installed, torch on a GPU.
    """
    spec = get_model_spec(name)
    if weights is not None and spec.weights is None:
        raise ModelError(f"model {name} takes no weights file, but a weights file was given")
    if backend is not None and backend not in ("onnxruntime", "torch"):
        raise ModelError(f"unknown backend {backend!r}; choose onnxruntime or torch")
    if spec.net is None:
        return spec.loader(spec, weights=weights, offline=offline, device=device, progress=progress)
    return spec.loader(spec, weights=weights, offline=offline, device=device, progress=progress,
                       backend=backend)
