"""SAM 3 (Meta): every instance of a short noun phrase, through transformers
(:mod:`segcore.models.sam3`).

Weights: the ``facebook/sam3`` repository of the Hugging Face hub, a folder in the cache
(``sam3/`` with ``config.json`` and ``model.safetensors``; the processor is built offline). The
repository is gated: a user accepts the licence on its page and logs in (``hf auth login``, or
``HF_TOKEN``) before the first download; or names a folder with those files
(``--weights DIR``, ``SEGCORE_WEIGHTS=sam3=DIR``). Its files are not checked by a checksum (none
is published for them).
"""

from __future__ import annotations

from ..registry import CONCEPTS, ModelSpec, Weights, register

_HUB = "https://huggingface.co/facebook/sam3"


def _build(spec, task, path, *, weights=None, device: str = "cpu", **_):
    from ..sam3 import sam3_from_folder

    return sam3_from_folder(path, device=device, name=spec.name)


register(ModelSpec(
    name="sam3", family="sam3", can={CONCEPTS}, label_set=None, title="SAM 3",
    description="SAM 3 (Meta, 840M parameters, 3.4 GB; SAM License, gated on the hub): every instance of a "
                "class by its name; about 40 s a photo and 4 s a further class on 2 CPU cores",
    builder=_build, auto={CONCEPTS: 0},
    requires=(("transformers", "transformers"), ("open_clip", "open-clip-torch")),
    weights=(Weights("published", file_name="sam3", url=f"{_HUB}/resolve/main",
                     files=("config.json", "model.safetensors"),
                     gated=f"SAM 3's weights are gated: accept the licence at {_HUB} and log in (hf auth login, "
                           "or set HF_TOKEN), or name a folder with its files",
                     meta={"num_params": 840_000_000, "file_size_mb": 3450}),),
))
