"""Models: the one registry, the zoo of entries, weights lookup and the predictors.

``load_model(name)`` gives a :class:`Segmenter` whose ``predict(image)`` returns a
:class:`~segcore.segmentation.Segmentation`; ``load_prompter(name)`` a :class:`Prompter` for
clicks and boxes. Importing this package is light: torch and
torchvision load when the registry is first read.
"""

from .prompters import Prompter, PromptResult, list_prompters, load_prompter
from .registry import ModelSpec, WeightsInfo, get_model_spec, list_models, load_model, register_model

__all__ = ["ModelSpec", "WeightsInfo", "get_model_spec", "list_models", "load_model", "register_model",
           "Prompter", "PromptResult", "list_prompters", "load_prompter"]
