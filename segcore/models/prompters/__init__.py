"""Prompted models: one interface (:class:`Prompter`) for GrabCut, the selfie model and the
SAM family. ``load_prompter(name)`` gives one (through the one registry and resolver,
:mod:`segcore.models.resolve`); each tool's session holds its own, while heavy model parts
(networks, ONNX sessions) are shared by the families' builders."""

from .base import Prompter, PromptResult, list_prompters, load_prompter

__all__ = ["Prompter", "PromptResult", "list_prompters", "load_prompter"]
