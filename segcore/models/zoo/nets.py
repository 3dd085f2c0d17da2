"""The project's own nets: UNet (person / background) and FCN on ResNet-18 (21 VOC classes).
They have no published weights: a file trained with ``segcore train`` under the name below in
the cache folder, or named, or a dataset's ``trained:`` model."""

from __future__ import annotations

from functools import partial

from ...labels import LabelSet
from ..registry import SEGMENT, ModelSpec, Weights, register
from ._torch import backbone, build_torch, preset
from ..selfie import PERSON_LABELS


def _build_unet(num_classes: int = 2):
    from ..nets import UNet

    return UNet(3, 1 if num_classes == 2 else num_classes, 32)


def _build_fcn_resnet18(num_classes: int = 21):
    from ..nets import FCNResNet18

    return FCNResNet18(num_classes)


register(ModelSpec(
    name="unet", family="segcore", can={SEGMENT}, label_set=PERSON_LABELS,
    description="UNet (init_features=32), person vs background, sigmoid threshold 0.5",
    builder=build_torch, net=_build_unet, single_logit=True, size_divisor=16, auto={SEGMENT: 30},
    weights=(Weights("trained", file_name="unet_person.pth", preprocessing=partial(preset, resize_size=256),
                     meta={"num_params": 7_763_041}),),
))

register(ModelSpec(
    name="fcn_resnet18", family="segcore", can={SEGMENT}, label_set=LabelSet.voc(),
    description="FCN on ResNet-18, 21 VOC classes, bilinear-initialised 32x upsampling",
    builder=build_torch, net=_build_fcn_resnet18, auto={SEGMENT: 30},
    weights=(Weights("trained", file_name="fcn_resnet18_voc.pth", preprocessing=preset,
                     meta={"num_params": 12_993_621}),
             backbone("resnet18", "fcn_resnet18")),
))
