"""SAM 2.1 (Meta, Apache-2.0): clicks and boxes with the hiera tiny, small, base+ and large image
encoders, through transformers' ``Sam2Model`` exported to ONNX Runtime
(:mod:`segcore.models.prompters.sam2`).

Weights: the transformers-format ``model.safetensors`` of the hub repositories
``facebook/sam2.1-hiera-*``, kept in the cache folder as ``sam2.1-hiera-<size>.safetensors``.
No checksum is stated for them: none was at hand where this was written (the hub serves them
from ``main``, which may change); a download is still resumable, and a file that does not fit
the model is refused when it is loaded.
"""

from __future__ import annotations

from functools import partial

from ..registry import PROMPT, ModelSpec, Weights, register

_HUB = "https://huggingface.co/facebook/sam2.1-hiera-{}/resolve/main/model.safetensors"
_NEEDS = (("transformers", "transformers"), ("safetensors", "safetensors"), ("onnxruntime", "onnxruntime"),
          ("onnx", "onnx"))


def _build(spec, task, path, *, size: str, weights=None, **_):
    from ..prompters.sam2 import sam2_prompter

    return sam2_prompter(spec.name, size, path)


for _size, _repo, _title, _params, _mb in (
        ("tiny", "tiny", "SAM 2.1 tiny", "39M", 156),
        ("small", "small", "SAM 2.1 small", "46M", 184),
        ("base_plus", "base-plus", "SAM 2.1 base+", "81M", 324),
        ("large", "large", "SAM 2.1 large", "224M", 898)):
    register(ModelSpec(
        name=f"sam2.1_{_size}", family="sam2", can={PROMPT}, label_set=None, title=_title,
        description=f"SAM 2.1 hiera-{_repo} (Meta, {_params} parameters, {_mb} MB; Apache-2.0), through "
                    "transformers, on ONNX Runtime",
        builder=partial(_build, size=_size), requires=_NEEDS,
        weights=(Weights("published", file_name=f"sam2.1-hiera-{_repo}.safetensors", url=_HUB.format(_repo),
                         meta={"file_size_mb": _mb}),),
    ))
