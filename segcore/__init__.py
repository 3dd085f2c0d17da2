"""segcore: semantic segmentation, label correction, label formats and metrics.

The one flow: ``open_dataset(path)`` or ``load(image) -> load_model(name).predict(image) -> Segmentation -> edit ->
render / export / metrics``. Importing segcore is light; torch loads with the first model.
"""

__version__ = "0.3.0"

from .errors import FormatError, ImageError, ModelError, PromptError, SegcoreError, WeightsError
from .image import load as load_image
from .labels import LabelSet
from .models.registry import get_model_spec, list_models, load_model
from .segmentation import Segmentation
from .dataset import Dataset, open_dataset

__all__ = [
    "load_image", "LabelSet", "Segmentation", "open_dataset", "Dataset", "load_model", "list_models", "get_model_spec",
    "SegcoreError", "ImageError", "WeightsError", "ModelError", "FormatError", "PromptError",
]
