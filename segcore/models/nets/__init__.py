"""Networks only: the project's own segmentation nets (no loading, no preprocessing)."""

from .fcn_resnet18 import FCNResNet18, bilinear_kernel
from .unet import UNet

__all__ = ["UNet", "FCNResNet18", "SMPNet", "bilinear_kernel"]


def __getattr__(name):
    if name == "SMPNet":   # segmentation-models-pytorch imports timm (about 2 s): only when asked
        from .smp import SMPNet
        return SMPNet
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
