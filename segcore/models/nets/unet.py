"""The seeds' UNet: 4 down, 4 up, ``init_features`` channels at the top, one output logit.

Layer names follow the widely used brain-segmentation UNet (``encoder1.enc1conv1`` ...), so
checkpoints trained with that layout load as they are. ``forward`` returns logits; the
predictor applies the sigmoid (threshold 0.5 = logit 0).
"""

from collections import OrderedDict

import torch
from torch import nn

__all__ = ["UNet"]


def _block(in_channels: int, features: int, name: str) -> nn.Sequential:
    return nn.Sequential(OrderedDict([
        (name + "conv1", nn.Conv2d(in_channels, features, 3, padding=1, bias=False)),
        (name + "norm1", nn.BatchNorm2d(features)),
        (name + "relu1", nn.ReLU(inplace=True)),
        (name + "conv2", nn.Conv2d(features, features, 3, padding=1, bias=False)),
        (name + "norm2", nn.BatchNorm2d(features)),
        (name + "relu2", nn.ReLU(inplace=True)),
    ]))


class UNet(nn.Module):
    """Input ``(N, 3, H, W)`` with H, W multiples of 16; output ``(N, out_channels, H, W)`` logits."""

    def __init__(self, in_channels: int = 3, out_channels: int = 1, init_features: int = 32):
        super().__init__()
        f = init_features
        self.encoder1 = _block(in_channels, f, "enc1")
        self.pool1 = nn.MaxPool2d(2, 2)
        self.encoder2 = _block(f, 2 * f, "enc2")
        self.pool2 = nn.MaxPool2d(2, 2)
        self.encoder3 = _block(2 * f, 4 * f, "enc3")
        self.pool3 = nn.MaxPool2d(2, 2)
        self.encoder4 = _block(4 * f, 8 * f, "enc4")
        self.pool4 = nn.MaxPool2d(2, 2)
        self.bottleneck = _block(8 * f, 16 * f, "bottleneck")
        self.upconv4 = nn.ConvTranspose2d(16 * f, 8 * f, 2, stride=2)
        self.decoder4 = _block(16 * f, 8 * f, "dec4")
        self.upconv3 = nn.ConvTranspose2d(8 * f, 4 * f, 2, stride=2)
        self.decoder3 = _block(8 * f, 4 * f, "dec3")
        self.upconv2 = nn.ConvTranspose2d(4 * f, 2 * f, 2, stride=2)
        self.decoder2 = _block(4 * f, 2 * f, "dec2")
        self.upconv1 = nn.ConvTranspose2d(2 * f, f, 2, stride=2)
        self.decoder1 = _block(2 * f, f, "dec1")
        self.conv = nn.Conv2d(f, out_channels, 1)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        e1 = self.encoder1(x)
        e2 = self.encoder2(self.pool1(e1))
        e3 = self.encoder3(self.pool2(e2))
        e4 = self.encoder4(self.pool3(e3))
        b = self.bottleneck(self.pool4(e4))
        d4 = self.decoder4(torch.cat((self.upconv4(b), e4), dim=1))
        d3 = self.decoder3(torch.cat((self.upconv3(d4), e3), dim=1))
        d2 = self.decoder2(torch.cat((self.upconv2(d3), e2), dim=1))
        d1 = self.decoder1(torch.cat((self.upconv1(d2), e1), dim=1))
        return {"out": self.conv(d1)}
