"""MobileSAM and Meta's SAM ViT-B / L / H: clicks and boxes, encoder and decoder on ONNX Runtime
(:mod:`segcore.models.prompters.sam`).

Weights: ``mobile_sam.pt`` (MobileSAM's repository at commit 34bbbfdf, checked by its git blob
id, which anyone can recompute with ``git hash-object``) and Meta's ``sam_vit_*_<sha256
prefix>.pth`` (checked by that prefix).
"""

from __future__ import annotations

from functools import partial

from ..registry import PROMPT, ModelSpec, Weights, register

_META = "https://dl.fbaipublicfiles.com/segment_anything/"
_NEEDS = {"mobile_sam": (("mobile_sam", "mobilesam-mirror"), ("timm", "timm"),
                         ("segment_anything", "segment-anything")),
          "segment_anything": (("segment_anything", "segment-anything"),)}


def _build(spec, task, path, *, arch: str, package: str, weights=None, **_):
    from ..prompters.sam import sam_prompter

    return sam_prompter(spec.name, arch, package, path)


for _name, _title, _arch, _package, _file, _url, _check, _mb, _auto, _about in (
        ("mobile_sam", "MobileSAM", "vit_t", "mobile_sam", "mobile_sam.pt",
         "https://github.com/ChaoningZhang/MobileSAM/raw/34bbbfdf/weights/mobile_sam.pt",
         ("git-blob-sha1", "7ef2d090979fd9853adf17b7a99c8b94a1c5a6a7"), 38.8, {PROMPT: 0},
         "MobileSAM (TinyViT encoder, 10M parameters, 40 MB; Apache-2.0): the CPU default"),
        ("sam_vit_b", "SAM ViT-B", "vit_b", "segment_anything", "sam_vit_b_01ec64.pth", _META + "sam_vit_b_01ec64.pth",
         ("sha256-prefix", "01ec64"), 375, {}, "SAM ViT-B (Meta, 91M-parameter encoder, 375 MB; Apache-2.0)"),
        ("sam_vit_l", "SAM ViT-L", "vit_l", "segment_anything", "sam_vit_l_0b3195.pth", _META + "sam_vit_l_0b3195.pth",
         ("sha256-prefix", "0b3195"), 1250, {}, "SAM ViT-L (Meta, 308M-parameter encoder, 1.2 GB; Apache-2.0)"),
        ("sam_vit_h", "SAM ViT-H", "vit_h", "segment_anything", "sam_vit_h_4b8939.pth", _META + "sam_vit_h_4b8939.pth",
         ("sha256-prefix", "4b8939"), 2560, {}, "SAM ViT-H (Meta, 636M-parameter encoder, 2.4 GB; Apache-2.0)")):
    register(ModelSpec(
        name=_name, family="sam", can={PROMPT}, label_set=None, title=_title, description=_about,
        builder=partial(_build, arch=_arch, package=_package), auto=_auto, requires=_NEEDS[_package],
        weights=(Weights("published", file_name=_file, url=_url, check=_check, meta={"file_size_mb": _mb}),),
    ))
