"""A tiny random SAM 3 for tests (hidden sizes 32, one or two layers per part, 224 px, 5 queries):
builds in a fraction of a second, runs a prompt in milliseconds, reads real CLIP token ids."""

from __future__ import annotations

from pathlib import Path


def tiny_config(num_queries: int = 5):
    from transformers import Sam3Config

    return Sam3Config(
        vision_config=dict(
            backbone_config=dict(model_type="sam3_vit_model", hidden_size=32, intermediate_size=64,
                                 num_hidden_layers=2, num_attention_heads=2, image_size=224, patch_size=14,
                                 window_size=8, global_attn_indexes=[1], pretrain_image_size=224),
            fpn_hidden_size=32, backbone_feature_sizes=[[64, 64], [32, 32], [16, 16]]),
        text_config=dict(vocab_size=49408, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=32, projection_dim=32),
        geometry_encoder_config=dict(hidden_size=32, num_layers=1, num_attention_heads=2, intermediate_size=64),
        detr_encoder_config=dict(hidden_size=32, num_layers=1, num_attention_heads=2, intermediate_size=64),
        detr_decoder_config=dict(hidden_size=32, num_layers=1, num_queries=num_queries, num_attention_heads=2,
                                 intermediate_size=64),
        mask_decoder_config=dict(hidden_size=32, num_attention_heads=2),
    )


def tiny_model(seed: int = 0, num_queries: int = 5):
    """A random tiny ``Sam3Model`` (eval mode)."""
    import torch
    from transformers import Sam3Model

    torch.manual_seed(seed)
    return Sam3Model(tiny_config(num_queries)).eval()


def save_tiny(folder: Path, seed: int = 0, num_queries: int = 5) -> Path:
    """A folder of weights only (config.json, model.safetensors), as a user would name one."""
    tiny_model(seed, num_queries).save_pretrained(folder)
    return Path(folder)
