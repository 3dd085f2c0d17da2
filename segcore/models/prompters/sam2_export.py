"""SAM 2.1 (transformers' ``Sam2Model``) exported once to two ONNX files, in the one ONNX cache.

The encoder is ``Sam2Model.get_image_embeddings``: ``pixel_values (1, 3, 1024, 1024)`` (as
``Sam2ImageProcessor`` makes them) -> ``feat_s0 (1, 32, 256, 256)``, ``feat_s1 (1, 64, 128,
128)``, ``image_embed (1, 256, 64, 64)``. The decoder is the prompt encoder and the mask decoder
with the optional previous-mask branch replaced by fixed inputs (``mask_input (1, 1, 256, 256)``
and ``has_mask_input (1,)``, as segment-anything's ONNX decoder has them): ``point_coords (1, N,
2)`` in the 1024 frame and ``point_labels (1, N)`` (1 / 0 a point on / off the object, 2 / 3 a
box's corners, -1 a padding point) -> all four ``low_res_masks (1, 4, 256, 256)`` and
``iou_predictions (1, 4)``; which of them a click gets (the multimask outputs, or SAM 2's
stability rule for a single mask) is worked out in numpy (:mod:`.sam2`).

Configurations: the published ones, written out as transformers' own conversion script has
them (the weights files carry no configuration of their own).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from ...errors import ModelError, WeightsError
from .. import onnx_cache

__all__ = ["CONFIGS", "build_config", "build_torch_sam2", "ensure_exported", "PARTS", "ENCODER_OUTPUTS"]

PARTS = ("encoder", "decoder")
ENCODER_OUTPUTS = ("feat_s0", "feat_s1", "image_embed")
OPSET = 18

#: name -> (Sam2HieraDetConfig keywords, Sam2VisionConfig keywords): the published configurations.
CONFIGS = {
    "tiny": ({}, {}),
    "small": ({"blocks_per_stage": [1, 2, 11, 2], "global_attention_blocks": [7, 10, 13]}, {}),
    "base_plus": ({"hidden_size": 112, "embed_dim_per_stage": [112, 224, 448, 896],
                   "num_attention_heads_per_stage": [2, 4, 8, 16], "blocks_per_stage": [2, 3, 16, 3],
                   "global_attention_blocks": [12, 16, 20], "window_positional_embedding_background_size": [14, 14]},
                  {"backbone_channel_list": [896, 448, 224, 112]}),
    "large": ({"hidden_size": 144, "embed_dim_per_stage": [144, 288, 576, 1152],
               "num_attention_heads_per_stage": [2, 4, 8, 16], "blocks_per_stage": [2, 6, 36, 4],
               "global_attention_blocks": [23, 33, 43], "window_positional_embedding_background_size": [7, 7],
               "window_size_per_stage": [8, 4, 16, 8]},
              {"backbone_channel_list": [1152, 576, 288, 144]}),
}


def _transformers():
    try:
        import transformers
    except ImportError:
        raise ModelError("SAM 2.1 needs the transformers package: pip install transformers") from None
    return transformers


def build_config(size: str):
    """The published ``Sam2Config`` of hiera-``size`` (tiny, small, base_plus, large)."""
    t = _transformers()
    hiera, vision = CONFIGS[size]
    return t.Sam2Config(vision_config=t.Sam2VisionConfig(backbone_config=t.Sam2HieraDetConfig(**hiera), **vision))


def read_weights(path: Path) -> dict:
    """Tensors of a SAM 2.1 weights file: ``.safetensors`` (the hub's) or a torch state dict."""
    path = Path(path)
    if path.is_dir():
        path = path / "model.safetensors"
    if path.suffix == ".safetensors" or _is_safetensors(path):
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except Exception as e:  # noqa: BLE001 - a damaged or foreign file: one line
            raise WeightsError(f"{path} is not a readable safetensors file ({e.__class__.__name__})") from None
    from ..weights import read_state_dict

    return read_state_dict(path)


def _is_safetensors(path: Path) -> bool:
    """A safetensors file starts with the 8-byte length of its JSON header, then ``{``."""
    try:
        with open(path, "rb") as f:
            head = f.read(9)
    except OSError:
        return False
    return len(head) == 9 and head[8:9] == b"{"


def build_torch_sam2(size: str, weights: Path):
    """transformers' ``Sam2Model`` of hiera-``size`` with the weights loaded (every tensor of the
    image model must be there; the video model's extra ones are left out), in eval mode."""
    import torch

    t = _transformers()
    state = read_weights(weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = t.Sam2Model(build_config(size))
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    wrong = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or wrong:
        first = (missing or wrong)[0]
        raise WeightsError(f"{Path(weights).name} does not fit SAM 2.1 hiera-{size.replace('_', '+')}: "
                           f"{len(missing)} tensors missing, {len(wrong)} of another shape (e.g. {first})")
    model.load_state_dict({k: state[k] for k in own}, strict=True)
    with torch.no_grad():
        return model.eval()


def _export_encoder(model, onnx: Path, sidecar: Path, size: str) -> None:
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, pixel_values):
            return tuple(self.model.get_image_embeddings(pixel_values))

    image_size = int(model.config.vision_config.backbone_config.image_size[0])
    with tempfile.TemporaryDirectory(dir=onnx.parent, prefix=".export.") as tmp:
        raw = Path(tmp) / "encoder.onnx"
        torch.onnx.export(Encoder(model).eval(), (torch.zeros(1, 3, image_size, image_size),), str(raw),
                          input_names=["pixel_values"], output_names=list(ENCODER_OUTPUTS), opset_version=OPSET,
                          do_constant_folding=True, dynamo=False)
        os.replace(raw, onnx)
    onnx_cache.write_sidecar(onnx, sidecar, {"arch": f"sam2.1_hiera_{size}", "part": "encoder",
                                             "img_size": image_size, "data": None})


def _export_decoder(model, onnx: Path, sidecar: Path, size: str) -> None:
    import torch

    decoder = model.mask_decoder
    # Every one of the four masks out (the choice among them is made in numpy): with a single
    # mask asked for, the stability rule is the step that picks; here it hands all four on.
    decoder._dynamic_multimask_via_stability = lambda masks, iou: (masks, iou)
    decoder.dynamic_multimask_via_stability = True

    class Decoder(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, feat_s0, feat_s1, image_embed, point_coords, point_labels, mask_input, has_mask_input):
            m = self.model
            pe = m.prompt_encoder
            labels = point_labels.to(torch.int64)[:, None]
            sparse = pe._embed_points(point_coords[:, None], labels, pad=False)
            has = has_mask_input.reshape(1, 1, 1, 1)
            dense = has * pe.mask_embed(mask_input) + (1.0 - has) * pe.no_mask_embed.weight.reshape(1, -1, 1, 1)
            masks, iou, _, _ = m.mask_decoder(
                image_embeddings=image_embed, image_positional_embeddings=m.get_image_wide_positional_embeddings(),
                sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense, multimask_output=False,
                high_resolution_features=[feat_s0, feat_s1])
            return iou[:, 0], masks[:, 0]

    emb = model.get_image_embeddings(torch.zeros(1, 3, 1024, 1024))
    dummy = (*emb, torch.randint(0, 1024, (1, 5, 2)).float(), torch.tensor([[1.0, 0.0, 2.0, 3.0, -1.0]]),
             torch.randn(1, 1, 256, 256), torch.tensor([1.0]))
    names = [*ENCODER_OUTPUTS, "point_coords", "point_labels", "mask_input", "has_mask_input"]
    with tempfile.TemporaryDirectory(dir=onnx.parent, prefix=".export.") as tmp:
        raw = Path(tmp) / "decoder.onnx"
        torch.onnx.export(Decoder(model).eval(), dummy, str(raw), input_names=names,
                          output_names=["iou_predictions", "low_res_masks"], opset_version=OPSET,
                          do_constant_folding=True,
                          dynamic_axes={"point_coords": {1: "num_points"}, "point_labels": {1: "num_points"}},
                          dynamo=False)
        os.replace(raw, onnx)
    cfg = model.config.mask_decoder_config
    onnx_cache.write_sidecar(onnx, sidecar, {
        "arch": f"sam2.1_hiera_{size}", "part": "decoder", "mask_threshold": 0.0, "data": None,
        "stability_delta": float(cfg.dynamic_multimask_stability_delta),
        "stability_thresh": float(cfg.dynamic_multimask_stability_thresh),
        "dynamic_multimask": bool(cfg.dynamic_multimask_via_stability)})


def ensure_exported(weights: Path, size: str) -> dict[str, tuple[Path, dict]]:
    """``{part: (onnx file, sidecar meta)}``, exporting the parts whose cache is missing or does
    not match its sidecar (seconds for tiny on 2 cores)."""
    def export(missing, paths):
        import torch

        model = build_torch_sam2(size, weights)
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")   # the TorchScript exporter's deprecation notes
            for part in missing:
                (_export_encoder if part == "encoder" else _export_decoder)(model, *paths[part], size)

    return onnx_cache.ensure(weights, f"sam2.1_hiera_{size}", PARTS, export)
