"""Networks only: the project's own segmentation nets (no loading, no preprocessing)."""

from .fcn_resnet18 import FCNResNet18, bilinear_kernel
from .unet import UNet

__all__ = ["UNet", "FCNResNet18", "bilinear_kernel"]
