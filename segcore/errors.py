"""Exceptions a user can cause. Each carries one line that says what happened and what to do.

The CLI prints ``error: <message>`` and exits 1; the app shows the message in a ``gr.Error``.
Programming errors are not wrapped: they stay loud.
"""

__all__ = ["SegcoreError", "ImageError", "WeightsError", "FormatError", "PromptError", "ModelError",
           "ConflictError", "AccessError"]


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


class AccessError(SegcoreError):
    """The user's role does not allow the action (an annotator marking an item reviewed)."""


class ConflictError(SegcoreError):
    """Another save of the same item (another session, server or program) changed the same
    pixels or objects differently since this edit started from it. Nothing was overwritten:
    theirs is on disk, mine is kept in the item's history and still open in the session.

    ``item``: the item's name; ``by``: who saved theirs ("another program" where it was not
    segcore); ``pixels`` / ``objects``: what clashes (object ids); ``box``: ``(x0, y0, x1, y1)``
    around the clash; ``version``: the history version holding mine."""

    def __init__(self, message: str, item: str = "", by: str = "", pixels: int = 0, objects=(),
                 box=None, version: int | None = None):
        super().__init__(message)
        self.item, self.by, self.pixels, self.objects = item, by, pixels, tuple(objects)
        self.box, self.version = box, version
