"""A prompter chosen again at every prompt: ``ChosenPrompter(choose)`` asks ``choose()`` which
prompter answers now and hands it the image and the prompt. The app's clicks go through one, so
a model whose weights finish downloading between two clicks answers the second (GrabCut
answered the first); ``name`` is the answering one's, so a click run starts afresh when it
changes."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .base import Prompter, PromptResult

__all__ = ["ChosenPrompter"]


class ChosenPrompter(Prompter):
    def __init__(self, choose: Callable[[], Prompter]):
        super().__init__()
        self._choose = choose
        self._last: Prompter | None = None

    @property
    def current(self) -> Prompter:
        p = self._choose()
        self._last = p
        return p

    @property
    def name(self) -> str:   # the answering prompter's (a click run is per prompter)
        return self.current.name

    def _set_image(self, rgb: np.ndarray) -> None:
        pass   # the answering prompter gets the image at each prompt (free when it has it already)

    def _predict(self, points, box, mask_input, multimask: bool, prior) -> PromptResult:
        p = self.current
        p.set_image(self._rgb)
        return p.predict(points, box, mask_input, multimask, prior)
