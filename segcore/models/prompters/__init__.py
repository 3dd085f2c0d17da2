"""Prompted models: one interface (:class:`Prompter`) for GrabCut, the selfie model and the
SAM family. ``load_prompter(name)`` gives one; each tool's session holds its own, while heavy
model parts (networks, ONNX sessions) are shared by the loaders' caches."""

from .base import (Prompter, PromptResult, PrompterSpec, get_prompter_spec, list_prompters,
                   load_prompter, register_prompter)

__all__ = ["Prompter", "PromptResult", "PrompterSpec", "get_prompter_spec", "list_prompters",
           "load_prompter", "register_prompter"]
