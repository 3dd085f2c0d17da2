"""Training on corrected labels: a data pipeline over any segcore dataset, the loop, and
checkpoints that carry their classes (``segcore train``)."""

from .checkpoint import save_checkpoint
from .loop import TrainResult, train

__all__ = ["train", "TrainResult", "save_checkpoint"]
