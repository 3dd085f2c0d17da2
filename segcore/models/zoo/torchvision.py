"""torchvision's six semantic segmentation models (21 PASCAL VOC classes, trained on COCO).

Their published facts are written out here, so that listing models never imports torch (about
4 s); a test checks every figure against torchvision's own weights objects. The files live in
the torch hub cache under torchvision's names (torch.hub checks them when it downloads them).
"""

from __future__ import annotations

from functools import partial

from ...labels import VOC_CLASSES, LabelSet
from ..registry import SEGMENT, ModelSpec, Weights, register
from ._torch import backbone, build_torch, preset

__all__ = ["TORCHVISION_MODELS"]

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
_BACKBONES = {"fcn_resnet50": "resnet50", "deeplabv3_resnet50": "resnet50", "fcn_resnet101": "resnet101",
              "deeplabv3_resnet101": "resnet101"}


def _build_net(name: str, num_classes: int = 21):
    import torchvision

    return torchvision.models.get_model(name, weights=None, weights_backbone=None, num_classes=num_classes,
                                        aux_loss=False)


for _rank, _name in enumerate(TORCHVISION_MODELS):
    _file, _params, _miou, _acc, _gflops, _size = _TORCHVISION[_name]
    _weights = [Weights(
        "published", file_name=_file, url=f"https://download.pytorch.org/models/{_file}",
        check=("sha256-prefix", _file.rsplit("-", 1)[1].split(".")[0]), trust_cache=True, preprocessing=preset,
        meta={"num_params": _params, "miou": _miou, "pixel_acc": _acc, "gflops": _gflops, "file_size_mb": _size,
              "dataset": "COCO-val2017-VOC-labels", "categories": ["__background__", *VOC_CLASSES[1:]]})]
    if _name in _BACKBONES:
        _weights.append(backbone(_BACKBONES[_name], "torchvision"))
    register(ModelSpec(
        name=_name, family="torchvision", can={SEGMENT}, label_set=LabelSet.voc(),
        description=f"torchvision {_name}, 21 PASCAL VOC classes (trained on COCO)",
        builder=build_torch, weights=tuple(_weights), net=partial(_build_net, _name),
        # auto: the best published mIoU first
        auto={SEGMENT: 10 + sorted(_TORCHVISION, key=lambda n: -_TORCHVISION[n][2]).index(_name)},
    ))
