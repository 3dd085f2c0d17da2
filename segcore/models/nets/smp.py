"""Architectures from segmentation-models-pytorch (DeepLabV3+, PSPNet, FPN) on ResNet encoders.

The net is built with random weights (``encoder_weights=None``: smp never downloads here);
ImageNet encoder weights, where torchvision's file is in the cache, are loaded by training
(``segcore.train.loop``), whose key names are torchvision's with an ``model.encoder.`` prefix.
``import segmentation_models_pytorch`` takes about 2 s (timm): it is imported only when a
net is built.
"""

from __future__ import annotations

from torch import nn

__all__ = ["SMPNet", "SMP_ARCHS", "SMP_ENCODERS"]

#: registry name prefix -> smp architecture name
SMP_ARCHS = {"deeplabv3plus": "DeepLabV3Plus", "pspnet": "PSPNet", "fpn": "FPN"}
SMP_ENCODERS = ("resnet18", "resnet34", "resnet50")


class SMPNet(nn.Module):
    """Input ``(N, 3, H, W)``, H and W multiples of 32; output ``{"out": (N, C, H, W)}`` logits."""

    def __init__(self, arch: str, encoder: str, num_classes: int):
        super().__init__()
        import segmentation_models_pytorch as smp

        self.model = smp.create_model(SMP_ARCHS[arch], encoder_name=encoder, encoder_weights=None,
                                      classes=num_classes)

    def forward(self, x):
        return {"out": self.model(x)}
