"""The small base class every loaded model shares (one class per kind of model)."""

from __future__ import annotations

from typing import Sequence

from ..image import ImageInput
from ..segmentation import Segmentation

__all__ = ["Segmenter"]


class Segmenter:
    """``predict(image) -> Segmentation``; ``predict_batch`` for many images."""

    spec = None  # the ModelSpec it was built from

    def predict(self, image: ImageInput, **kwargs) -> Segmentation:
        raise NotImplementedError

    def predict_batch(self, images: Sequence[ImageInput], **kwargs) -> list[Segmentation]:
        return [self.predict(im, **kwargs) for im in images]
