"""DeepLabV3+, PSPNet and FPN from segmentation-models-pytorch on ResNet encoders. Like the
project's nets they get their weights by training (``segcore train``), starting from
torchvision's ImageNet ResNet where that file is in the cache."""

from __future__ import annotations

from functools import partial

from ...labels import LabelSet
from ..registry import SEGMENT, ModelSpec, Weights, register
from ._torch import TORCH_ONLY, backbone, build_torch, preset

__all__ = ["SMP_MODELS"]

# name -> (arch, encoder, parameters with 21 classes).
_SMP = {
    "deeplabv3plus_resnet18": ("deeplabv3plus", "resnet18", 12_334_437),
    "deeplabv3plus_resnet34": ("deeplabv3plus", "resnet34", 22_442_597),
    "deeplabv3plus_resnet50": ("deeplabv3plus", "resnet50", 26_682_725),
    "pspnet_resnet18": ("pspnet", "resnet18", 11_422_005),
    "pspnet_resnet34": ("pspnet", "resnet34", 21_530_165),
    "pspnet_resnet50": ("pspnet", "resnet50", 24_393_173),
    "fpn_resnet18": ("fpn", "resnet18", 13_049_813),
    "fpn_resnet34": ("fpn", "resnet34", 23_157_973),
    "fpn_resnet50": ("fpn", "resnet50", 26_118_613),
}
SMP_MODELS = tuple(_SMP)
_TITLES = {"deeplabv3plus": "DeepLabV3+", "pspnet": "PSPNet", "fpn": "FPN"}
TORCH_ONLY.update(n for n, (arch, _, _) in _SMP.items() if arch == "pspnet")


def _build(arch: str, encoder: str, num_classes: int = 21):
    from ..nets.smp import SMPNet

    return SMPNet(arch, encoder, num_classes)


for _name, (_arch, _encoder, _params) in _SMP.items():
    register(ModelSpec(
        name=_name, family="smp", can={SEGMENT}, label_set=LabelSet.voc(),
        description=f"{_TITLES[_arch]} on {_encoder.replace('resnet', 'ResNet-')} "
                    "(segmentation-models-pytorch), weights by training",
        builder=build_torch, net=partial(_build, _arch, _encoder), size_divisor=32, auto={SEGMENT: 40},
        weights=(Weights("trained", file_name=f"{_name}.pth", preprocessing=preset, meta={"num_params": _params}),
                 backbone(_encoder, "smp")),
    ))
