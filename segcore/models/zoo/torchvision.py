"""The model zoo: every registry entry, in one place.

torchvision's six VOC models carry their own weights objects (file name, url, preset,
published figures); the project's own nets get the same shape of entry with ``url=None``;
GrabCut needs no weights at all. DeepLabV3+, PSPNet and FPN come from
segmentation-models-pytorch on ResNet encoders; like the project's nets they get their weights
by training (``segcore train``), starting from ImageNet encoder weights where torchvision's
file is in the cache.
"""

from __future__ import annotations

from functools import partial

from ..errors import ModelError
from ..labels import VOC_CLASSES, LabelSet
from .grabcut import FOREGROUND_LABELS, GrabCutSegmenter
from .registry import ModelSpec, WeightsInfo, register_model
from .selfie import PERSON_LABELS, SelfieSegmenter
from .weights import find_weights

__all__ = ["TORCHVISION_MODELS", "SMP_MODELS"]

# torchvision's published facts of its COCO_WITH_VOC_LABELS_V1 weights, written out so that
# listing models and running the selfie model never import torch (about 4 s). A test checks
# every figure against torchvision's own weights objects.
_TORCHVISION = {
    # name: (file, num_params, mIoU, pixel acc, GFLOPs, file size MB)
    "fcn_resnet50": ("fcn_resnet50_coco-1167a1af.pth", 35322218, 60.5, 91.4, 152.717, 135.009),
    "fcn_resnet101": ("fcn_resnet101_coco-7ecb50ca.pth", 54314346, 63.7, 91.9, 232.738, 207.711),
    "deeplabv3_resnet50": ("deeplabv3_resnet50_coco-cd0a2569.pth", 42004074, 66.4, 92.4, 178.722, 160.515),
    "deeplabv3_resnet101": ("deeplabv3_resnet101_coco-586e9e4e.pth", 60996202, 67.4, 92.4, 258.743, 233.217),
    "deeplabv3_mobilenet_v3_large": ("deeplabv3_mobilenet_v3_large-fc3c493d.pth", 11029328, 60.3, 91.2,
                                     10.452, 42.301),
    "lraspp_mobilenet_v3_large": ("lraspp_mobilenet_v3_large-d234d4ea.pth", 3221538, 57.9, 91.2, 2.086, 12.49),
}
TORCHVISION_MODELS = tuple(_TORCHVISION)


def _preset(**kw):
    """torchvision's semantic segmentation preset (resize, ImageNet mean and std), built lazily."""
    from torchvision.transforms._presets import SemanticSegmentation

    return SemanticSegmentation(**{"resize_size": 520, **kw})


def _load_torch(spec: ModelSpec, *, weights, offline, device, progress, backend=None):
    """A TorchSegmenter. A segcore checkpoint (``segcore train``) brings its own classes and
    input size; a plain state dict loads into the entry's own classes (a head of another
    size is skipped and reported)."""
    path = find_weights(spec.name, spec.weights.file_name, spec.weights.url, explicit=weights,
                        offline=offline, progress=progress)
    from ..train.checkpoint import spec_for_checkpoint   # torch loads once there are weights
    from .onnx_backend import default_backend
    from .predictor import TorchSegmenter
    from .weights import load_state, read_checkpoint

    if spec.name in _TORCH_ONLY:
        if backend == "onnxruntime":
            raise ModelError(f"{spec.name} does not export to ONNX (adaptive pooling over a dynamic size); "
                             "use the torch backend")
        backend = "torch"
    backend = backend or default_backend(device)
    if backend == "onnxruntime" and not str(device).startswith("cpu"):
        raise ModelError("the onnxruntime backend runs on the CPU here; use the torch backend on a GPU")

    state, meta = read_checkpoint(path)
    run_spec = spec_for_checkpoint(spec, meta, str(path)) if meta else spec
    k = len(run_spec.label_set)
    net = spec.net(k)
    report = load_state(net, state, source=str(path))
    return TorchSegmenter(run_spec, net, device=device, report=report, binary=spec.single_logit and k == 2,
                          size_divisor=spec.size_divisor, backend=backend, weights_path=path)


def _build_torchvision(name: str, num_classes: int = 21):
    import torchvision

    return torchvision.models.get_model(name, weights=None, weights_backbone=None, num_classes=num_classes,
                                        aux_loss=False)


def _build_unet(num_classes: int = 2):
    from .nets import UNet

    return UNet(3, 1 if num_classes == 2 else num_classes, 32)


def _build_fcn_resnet18(num_classes: int = 21):
    from .nets import FCNResNet18

    return FCNResNet18(num_classes)


def _build_smp(arch: str, encoder: str, num_classes: int = 21):
    from .nets.smp import SMPNet

    return SMPNet(arch, encoder, num_classes)


# segmentation-models-pytorch entries: name -> (arch, encoder, parameters with 21 classes).
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
#: PSPNet's adaptive pooling over a dynamic size does not export to ONNX: torch runs it.
_TORCH_ONLY = frozenset(n for n, (arch, _, _) in _SMP.items() if arch == "pspnet")
_SMP_TITLES = {"deeplabv3plus": "DeepLabV3+", "pspnet": "PSPNet", "fpn": "FPN"}


def _torchvision_entry(name: str) -> ModelSpec:
    file, params, miou, acc, gflops, size = _TORCHVISION[name]
    info = WeightsInfo(
        file_name=file, url=f"https://download.pytorch.org/models/{file}", transforms=_preset,
        meta={"num_params": params, "miou": miou, "pixel_acc": acc, "gflops": gflops, "file_size_mb": size,
              "dataset": "COCO-val2017-VOC-labels", "categories": ["__background__", *VOC_CLASSES[1:]]},
    )
    return ModelSpec(name=name, family="torchvision", label_set=LabelSet.voc(),
                     description=f"torchvision {name}, 21 PASCAL VOC classes (trained on COCO)",
                     loader=_load_torch, weights=info, net=partial(_build_torchvision, name))


for _name in TORCHVISION_MODELS:
    register_model(_torchvision_entry(_name))

register_model(ModelSpec(
    name="unet", family="segcore", label_set=PERSON_LABELS,
    description="UNet (init_features=32), person vs background, sigmoid threshold 0.5",
    loader=_load_torch, net=_build_unet, single_logit=True, size_divisor=16,
    weights=WeightsInfo(file_name="unet_person.pth", url=None,
                        transforms=partial(_preset, resize_size=256),
                        meta={"num_params": 7_763_041}),
))

register_model(ModelSpec(
    name="fcn_resnet18", family="segcore", label_set=LabelSet.voc(),
    description="FCN on ResNet-18, 21 VOC classes, bilinear-initialised 32x upsampling",
    loader=_load_torch, net=_build_fcn_resnet18,
    weights=WeightsInfo(file_name="fcn_resnet18_voc.pth", url=None,
                        transforms=_preset,
                        meta={"num_params": 12_993_621}),
))

for _name, (_arch, _encoder, _params) in _SMP.items():
    register_model(ModelSpec(
        name=_name, family="smp", label_set=LabelSet.voc(),
        description=f"{_SMP_TITLES[_arch]} on {_encoder.replace('resnet', 'ResNet-')} "
                    "(segmentation-models-pytorch), weights by training",
        loader=_load_torch, net=partial(_build_smp, _arch, _encoder), size_divisor=32,
        weights=WeightsInfo(file_name=f"{_name}.pth", url=None, transforms=_preset,
                            meta={"num_params": _params}),
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
