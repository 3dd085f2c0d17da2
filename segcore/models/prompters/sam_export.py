"""SAM-family checkpoints exported once to two ONNX files, cached by the checkpoint's hash.

The image encoder becomes ``image (1, 3, 1024, 1024) float32`` (normalised and padded, as
``Sam.preprocess`` leaves it) -> ``image_embeddings (1, 256, 64, 64)``. The prompt decoder is
segment-anything's own ``SamOnnxModel`` (all four masks, ``return_single_mask=False``), cut
down with ``onnx.utils.extract_model`` to its low-resolution outputs: ``iou_predictions (1, 4)``
and ``low_res_masks (1, 4, 256, 256)``. Upscaling to the photo's size happens in numpy, once
per kept mask, so a click at 12 MP does not upscale four masks it throws away.

Files: ``<weights stem>.<key>.encoder.onnx`` and ``.decoder.onnx`` in the one ONNX cache
(:mod:`segcore.models.onnx_cache`), each sidecar holding the model's preprocessing constants.
An encoder over 2 GB (ViT-H) keeps its tensors in one ``.data`` file beside it.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from ...errors import ModelError, WeightsError
from .. import onnx_cache
from ..weights import read_state_dict

__all__ = ["ensure_exported", "build_torch_sam", "gather_external_data", "PARTS", "PROTOBUF_LIMIT"]

PARTS = ("encoder", "decoder")
PROTOBUF_LIMIT = 2 ** 31 - 1


def build_torch_sam(arch: str, package: str, weights: Path):
    """The official package's ``Sam`` for ``arch`` (``vit_t`` from ``mobile_sam``; ``vit_b`` /
    ``vit_l`` / ``vit_h`` from ``segment_anything``) with the checkpoint loaded strictly
    (read with ``weights_only=True``), in eval mode."""
    try:
        if package == "mobile_sam":
            from mobile_sam import sam_model_registry
        else:
            from segment_anything import sam_model_registry
    except ImportError as e:
        pip = "mobilesam-mirror timm" if package == "mobile_sam" else "segment-anything"
        raise ModelError(f"exporting {weights.name} needs the {package} package ({e.name} is missing): "
                           f"pip install {pip}") from None
    import torch

    state = read_state_dict(weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # timm's deprecation notes on import paths
        sam = sam_model_registry[arch]()
    try:
        sam.load_state_dict(state, strict=True)
    except RuntimeError as e:
        first = str(e).split("\n")[1].strip() if "\n" in str(e) else str(e)
        raise WeightsError(f"{weights} does not fit {arch}: {first[:160]}") from None
    with torch.no_grad():
        return sam.eval()


def gather_external_data(raw: Path, onnx: Path) -> dict:
    """Move the ONNX file ``raw`` to ``onnx`` with all its tensors in one ``<onnx name>.data``
    beside it (the exporter leaves one file per tensor of a model over 2 GB). Returns the
    sidecar's ``data`` entry."""
    import onnx as onnx_lib

    model = onnx_lib.load(str(raw))   # with its external tensors
    data_name = onnx.name + ".data"
    with tempfile.TemporaryDirectory(dir=onnx.parent, prefix=".export.") as tmp:
        packed = Path(tmp) / onnx.name
        onnx_lib.save_model(model, str(packed), save_as_external_data=True, all_tensors_to_one_file=True,
                            location=data_name)
        os.replace(Path(tmp) / data_name, onnx.parent / data_name)
        os.replace(packed, onnx)
    return {"file": data_name, "size": (onnx.parent / data_name).stat().st_size}


def _export_encoder(sam, onnx: Path, sidecar: Path, arch: str) -> None:
    import torch

    size = int(sam.image_encoder.img_size)

    class Encoder(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, image):
            return self.encoder(image)

    with tempfile.TemporaryDirectory(dir=onnx.parent, prefix=".export.") as tmp:
        raw = Path(tmp) / "encoder.onnx"
        torch.onnx.export(Encoder(sam.image_encoder).eval(), (torch.zeros(1, 3, size, size),), str(raw),
                          input_names=["image"], output_names=["image_embeddings"], opset_version=17,
                          do_constant_folding=True, dynamo=False)
        if sum(f.stat().st_size for f in Path(tmp).iterdir()) > PROTOBUF_LIMIT - (64 << 20):
            data = gather_external_data(raw, onnx)   # ViT-H
        else:
            data = None
            os.replace(raw, onnx)
    onnx_cache.write_sidecar(onnx, sidecar, {
        "arch": arch, "part": "encoder", "img_size": size, "pixel_mean": [float(v) for v in sam.pixel_mean.flatten()],
        "pixel_std": [float(v) for v in sam.pixel_std.flatten()], "data": data})


def _export_decoder(sam, onnx: Path, sidecar: Path, arch: str) -> None:
    import torch
    from onnx.utils import extract_model
    from segment_anything.utils.onnx import SamOnnxModel

    # The inputs and settings of segment-anything's scripts/export_onnx_model.py.
    embed_dim = sam.prompt_encoder.embed_dim
    embed_size = sam.prompt_encoder.image_embedding_size
    dummy = {
        "image_embeddings": torch.randn(1, embed_dim, *embed_size, dtype=torch.float),
        "point_coords": torch.randint(low=0, high=1024, size=(1, 5, 2), dtype=torch.float),
        "point_labels": torch.randint(low=0, high=4, size=(1, 5), dtype=torch.float),
        "mask_input": torch.randn(1, 1, *[4 * x for x in embed_size], dtype=torch.float),
        "has_mask_input": torch.tensor([1], dtype=torch.float),
        "orig_im_size": torch.tensor([1500, 2250], dtype=torch.float),
    }
    model = SamOnnxModel(sam, return_single_mask=False).eval()
    with tempfile.TemporaryDirectory(dir=onnx.parent, prefix=".export.") as tmp:
        full, low = Path(tmp) / "full.onnx", Path(tmp) / "low.onnx"
        torch.onnx.export(model, tuple(dummy.values()), str(full), export_params=True, opset_version=17,
                          do_constant_folding=True, input_names=list(dummy),
                          output_names=["masks", "iou_predictions", "low_res_masks"],
                          dynamic_axes={"point_coords": {1: "num_points"}, "point_labels": {1: "num_points"}},
                          dynamo=False)
        extract_model(str(full), str(low), list(dummy)[:5], ["iou_predictions", "low_res_masks"])
        os.replace(low, onnx)
    onnx_cache.write_sidecar(onnx, sidecar, {"arch": arch, "part": "decoder", "img_size": int(sam.image_encoder.img_size),
                                             "mask_threshold": float(sam.mask_threshold), "data": None})


def ensure_exported(weights: Path, arch: str, package: str) -> dict[str, tuple[Path, dict]]:
    """``{part: (onnx file, sidecar meta)}``, exporting the parts whose cache is missing or
    does not match its sidecar."""
    def export(missing, paths):
        import torch

        sam = build_torch_sam(arch, package, weights)
        # The TorchScript exporter (as in onnx_backend); its deprecation notes are noise here.
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for part in missing:
                (_export_encoder if part == "encoder" else _export_decoder)(sam, *paths[part], arch)

    return onnx_cache.ensure(weights, arch, PARTS, export)
