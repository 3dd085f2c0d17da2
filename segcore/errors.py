"""Exceptions a user can cause. Each carries one line that says what happened and what to do.

The CLI prints ``error: <message>`` and exits 1; the app shows the message in a ``gr.Error``.
Programming errors are not wrapped: they stay loud.
"""

__all__ = ["SegcoreError", "ImageError", "WeightsError", "FormatError", "PromptError", "ModelError"]


class SegcoreError(Exception):
    """Base class of every error a user can cause."""


class ImageError(SegcoreError):
    """An image could not be read or is not usable (empty, corrupt, too large)."""


class WeightsError(SegcoreError):
    """A model's weights are missing or do not fit the model."""


class ModelError(SegcoreError):
    """An unknown model name or a model argument that does not fit."""


class FormatError(SegcoreError):
    """A label file (PNG, COCO, labelme, labels list) is malformed or does not fit."""


class PromptError(SegcoreError):
    """A box, click or scribble prompt is outside the image or empty."""
