"""The small base class every loaded model shares (one class per kind of model)."""

from __future__ import annotations

from ..image import ImageInput
from ..segmentation import Segmentation

__all__ = ["Segmenter"]


class Segmenter:
    """``predict(image) -> Segmentation`` (many files at once: :mod:`segcore.models.batch`)."""

    spec = None  # the ModelSpec it was built from

    def predict(self, image: ImageInput, **kwargs) -> Segmentation:
        raise NotImplementedError
