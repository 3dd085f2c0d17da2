"""The model zoo: every registry entry, in one place.

torchvision's six VOC models carry their own weights objects (file name, url, preset,
published figures); the project's own nets get the same shape of entry with ``url=None``;
GrabCut needs no weights at all.
"""

from __future__ import annotations

from functools import partial

import torchvision
from torchvision.transforms._presets import SemanticSegmentation

from .grabcut import FOREGROUND_LABELS, GrabCutSegmenter
from ..labels import LabelSet
from .nets import FCNResNet18, UNet
from .predictor import TorchSegmenter
from .selfie import PERSON_LABELS, SelfieSegmenter
from .registry import ModelSpec, WeightsInfo, register_model
from .weights import find_weights, load_state, read_state_dict

__all__ = ["TORCHVISION_MODELS"]

TORCHVISION_MODELS = (
    "fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101",
    "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large",
)



def _load_torch(spec: ModelSpec, *, weights, offline, device, progress, build, **net_kw):
    path = find_weights(spec.name, spec.weights.file_name, spec.weights.url, explicit=weights,
                        offline=offline, progress=progress)
    net = build()
    report = load_state(net, read_state_dict(path), source=str(path))
    return TorchSegmenter(spec, net, device=device, report=report, **net_kw)


def _torchvision_entry(name: str) -> ModelSpec:
    w = torchvision.models.get_model_weights(name).COCO_WITH_VOC_LABELS_V1
    metrics = w.meta["_metrics"]["COCO-val2017-VOC-labels"]
    info = WeightsInfo(
        file_name=w.url.rsplit("/", 1)[1], url=w.url, transforms=w.transforms,
        meta={"num_params": w.meta["num_params"], "miou": metrics["miou"],
              "pixel_acc": metrics["pixel_acc"], "gflops": w.meta["_ops"],
              "file_size_mb": w.meta["_file_size"], "dataset": "COCO-val2017-VOC-labels",
              "categories": list(w.meta["categories"])},
    )
    build = partial(torchvision.models.get_model, name, weights=None, weights_backbone=None,
                    num_classes=len(w.meta["categories"]), aux_loss=False)
    return ModelSpec(name=name, family="torchvision", label_set=LabelSet.voc(),
                     description=f"torchvision {name}, 21 PASCAL VOC classes (trained on COCO)",
                     loader=partial(_load_torch, build=build), weights=info)


for _name in TORCHVISION_MODELS:
    register_model(_torchvision_entry(_name))

register_model(ModelSpec(
    name="unet", family="segcore", label_set=PERSON_LABELS,
    description="UNet (init_features=32), person vs background, sigmoid threshold 0.5",
    loader=partial(_load_torch, build=partial(UNet, 3, 1, 32), binary=True, size_divisor=16),
    weights=WeightsInfo(file_name="unet_person.pth", url=None,
                        transforms=partial(SemanticSegmentation, resize_size=256),
                        meta={"num_params": 7_763_041}),
))

register_model(ModelSpec(
    name="fcn_resnet18", family="segcore", label_set=LabelSet.voc(),
    description="FCN on ResNet-18, 21 VOC classes, bilinear-initialised 32x upsampling",
    loader=partial(_load_torch, build=partial(FCNResNet18, 21)),
    weights=WeightsInfo(file_name="fcn_resnet18_voc.pth", url=None,
                        transforms=partial(SemanticSegmentation, resize_size=520),
                        meta={"num_params": 12_993_621}),
))

register_model(ModelSpec(
    name="grabcut", family="opencv", label_set=FOREGROUND_LABELS,
    description="OpenCV GrabCut from a box (default: centred), no weights needed",
    loader=lambda spec, **kw: GrabCutSegmenter(spec),
))


# MediaPipe selfie segmentation (Apache-2.0): the raw files at a fixed commit of
# github.com/google/mediapipe, so the address and the checksum never drift apart.
_MEDIAPIPE = ("https://raw.githubusercontent.com/google/mediapipe/8b57bf879b419173b26277d220b643dac0402334/"
              "mediapipe/modules/selfie_segmentation/")


def _load_selfie(spec: ModelSpec, *, weights, offline, device, progress):
    path = find_weights(spec.name, spec.weights.file_name, spec.weights.url, explicit=weights,
                        offline=offline, progress=progress, sha256=spec.weights.sha256)
    return SelfieSegmenter(spec, path)


for _name, _file, _sha, _size in (
        ("selfie", "selfie_segmentation.tflite",
         "8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27", "256x256"),
        ("selfie_landscape", "selfie_segmentation_landscape.tflite",
         "4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894", "144x256")):
    register_model(ModelSpec(
        name=_name, family="mediapipe", label_set=PERSON_LABELS,
        description=f"MediaPipe selfie segmentation ({_size} input, LiteRT), person vs background, "
                    "runs in milliseconds on a CPU",
        loader=_load_selfie,
        weights=WeightsInfo(file_name=_file, url=_MEDIAPIPE + _file, sha256=_sha,
                            meta={"file_size_mb": 0.25}),
    ))
