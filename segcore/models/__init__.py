"""Models: the one registry (:mod:`.registry`), its entries one file per family (:mod:`.zoo`),
the one resolver (:mod:`.resolve`), weights on this machine and on first use (:mod:`.weights`,
:mod:`.fetch`), the one ONNX cache (:mod:`.onnx_cache`) and the models themselves.

``load(name, task)`` gives a :class:`Segmenter` (``"segment"``: ``predict(image)`` returns a
:class:`~segcore.segmentation.Segmentation`), a :class:`Prompter` (``"prompt"``: clicks and
boxes) or a concept model (``"concepts"``); ``name`` may be ``"auto"``. Importing this package
is light: torch loads when a model is built.
"""

from .prompters import Prompter, PromptResult, list_prompters, load_prompter
from .registry import (CONCEPTS, PROMPT, SEGMENT, ModelSpec, Weights, get, get_model_spec, list_models, load_model,
                       names, register, register_model)
from .resolve import Choice, load, obtain, resolve

__all__ = ["SEGMENT", "PROMPT", "CONCEPTS", "ModelSpec", "Weights", "register", "get", "names", "resolve", "load",
           "obtain", "Choice", "get_model_spec", "list_models", "load_model", "register_model",
           "Prompter", "PromptResult", "list_prompters", "load_prompter"]
