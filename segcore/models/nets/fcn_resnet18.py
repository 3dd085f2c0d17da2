"""FCN on a ResNet-18 backbone, upsampled by one transposed convolution.

ResNet-18 without its average pool and fc gives stride-32 features; a 1x1 convolution maps
them to class scores; a transposed convolution (kernel 64, stride 32, padding 16) brings them
back to the input size. That layer starts as bilinear upsampling (``bilinear_kernel``), the
classic FCN initialisation, so an untrained head already upsamples smoothly.
"""

import torch
from torch import nn
from torchvision.models import resnet18

__all__ = ["FCNResNet18", "bilinear_kernel"]


def bilinear_kernel(in_channels: int, out_channels: int, kernel_size: int) -> torch.Tensor:
    """``(in, out, k, k)`` weights of a transposed conv that does per-channel bilinear upsampling."""
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = torch.arange(kernel_size, dtype=torch.float32)
    filt1d = 1 - torch.abs(og - center) / factor
    filt = filt1d[:, None] * filt1d[None, :]
    weight = torch.zeros(in_channels, out_channels, kernel_size, kernel_size)
    idx = torch.arange(min(in_channels, out_channels))
    weight[idx, idx] = filt
    return weight


class FCNResNet18(nn.Module):
    """Input ``(N, 3, H, W)``; output ``{"out": (N, num_classes, H, W)}`` logits."""

    def __init__(self, num_classes: int = 21):
        super().__init__()
        net = resnet18(weights=None)
        self.backbone = nn.Sequential(*list(net.children())[:-2])
        self.classifier = nn.Conv2d(512, num_classes, kernel_size=1)
        self.upsample = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=64, stride=32,
                                           padding=16, bias=False)
        with torch.no_grad():
            self.upsample.weight.copy_(bilinear_kernel(num_classes, num_classes, 64))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h, w = x.shape[-2:]
        y = self.upsample(self.classifier(self.backbone(x)))
        # Stride-32 features cover ceil(H/32) cells, so the output is 32*ceil(H/32) >= H: crop.
        return {"out": y[..., :h, :w]}
