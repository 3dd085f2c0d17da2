"""Datasets: open a folder or a COCO file, walk its items, write every correction back.

``open_dataset(path)`` recognises a VOC root, a COCO JSON, a labelme folder or a plain folder
of images and returns a :class:`Dataset`; ``prelabel`` fills the items that have no labels
with a model's predictions; ``Workspace`` walks a dataset and saves each correction.
"""

from .base import Dataset, Item
from .open import open_dataset
from .prelabel import prelabel
from .status import STATUSES
from .workspace import Workspace

__all__ = ["open_dataset", "Dataset", "Item", "STATUSES", "prelabel", "Workspace"]
