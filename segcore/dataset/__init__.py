"""Datasets: the one layer that recognises, reads and writes them.

``open_dataset(path)`` recognises a labelme folder, a COCO JSON, a VOC root, label-map PNGs
or a plain folder of images (the formats of :mod:`.registry`, one class each, registered by
a decorator) and returns a :class:`Dataset`; ``write_labels`` writes back only what changed;
``export_dataset`` writes a dataset in another format; ``evaluate`` scores label maps;
``prelabel`` fills the items that have no labels with a model's predictions; ``Workspace``
walks a dataset and saves each correction. The codecs themselves are in :mod:`segcore.formats`.
"""

from .base import Dataset, ExportItem, Item
from .open import detect_format, open_dataset
from .evaluate import Evaluation, evaluate
from .export import export_dataset, export_formats
from .prelabel import prelabel
from .registry import get_format, list_formats, register_format
from .status import STATUSES
from .workspace import Workspace

__all__ = ["open_dataset", "detect_format", "Dataset", "Item", "ExportItem", "STATUSES", "prelabel", "Workspace",
           "export_dataset", "export_formats", "evaluate", "Evaluation", "register_format", "get_format",
           "list_formats"]
