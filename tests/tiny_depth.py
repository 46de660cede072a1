"""Tiny randomly-initialised transformers models saved to a folder, for depth-model tests.

Nothing is downloaded: each model is built from a small config with a fixed torch seed and
written with ``save_pretrained`` next to a matching image processor, so that
``AutoImageProcessor.from_pretrained(folder)`` and
``AutoModelForDepthEstimation.from_pretrained(folder)`` load it offline. Kinds:

- ``"dpt"``: DPTForDepthEstimation (model_type ``dpt``, predicts relative inverse depth);
- ``"glpn"``: GLPNForDepthEstimation (model_type ``glpn``, predicts metric depth);
- ``"vit"``: ViTForImageClassification, a vision model that is *not* a depth model.
"""
from __future__ import annotations

from pathlib import Path

import torch
from transformers import (DPTConfig, DPTForDepthEstimation, DPTImageProcessor, GLPNConfig,
                          GLPNForDepthEstimation, GLPNImageProcessor, ViTConfig,
                          ViTForImageClassification, ViTImageProcessor)

SEED = 1234
INPUT_SIDE = 32  # the dpt/vit processors resize every image to this square before the forward pass


def _tiny_dpt() -> tuple[torch.nn.Module, DPTImageProcessor]:
    """A 4-layer, 32-wide DPT-ViT depth model and its processor (fixed 32x32 input)."""
    config = DPTConfig(hidden_size=32, num_hidden_layers=4, num_attention_heads=2,
                       intermediate_size=37, image_size=INPUT_SIDE, patch_size=8,
                       backbone_out_indices=[0, 1, 2, 3], neck_hidden_sizes=[8, 8, 16, 16],
                       fusion_hidden_size=16, head_in_index=-1, is_hybrid=False,
                       initializer_range=0.1)
    processor = DPTImageProcessor(size={"height": INPUT_SIDE, "width": INPUT_SIDE},
                                  keep_aspect_ratio=False)
    model = DPTForDepthEstimation(config)
    # The head ends in Conv2d -> ReLU; with random weights most outputs are negative and the
    # ReLU flattens them to 0. A bias of 1 on that last conv keeps every pixel positive, so
    # the map varies with the image everywhere (like a real disparity map does).
    last_conv = [m for m in model.head.modules() if isinstance(m, torch.nn.Conv2d)][-1]
    with torch.no_grad():
        last_conv.bias.fill_(1.0)
    return model, processor


def _tiny_glpn() -> tuple[torch.nn.Module, GLPNImageProcessor]:
    """A 4-stage GLPN depth model with widths 8..32 and its processor (sides to multiples of 32)."""
    config = GLPNConfig(num_encoder_blocks=4, depths=[1, 1, 1, 1], sr_ratios=[8, 4, 2, 1],
                        hidden_sizes=[8, 16, 16, 32], num_attention_heads=[1, 1, 2, 2],
                        mlp_ratios=[2, 2, 2, 2], decoder_hidden_size=16, max_depth=10)
    return GLPNForDepthEstimation(config), GLPNImageProcessor(size_divisor=32)


def _tiny_vit() -> tuple[torch.nn.Module, ViTImageProcessor]:
    """A tiny ViT image classifier: a valid vision model that has no depth head."""
    config = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=37, image_size=INPUT_SIDE, patch_size=8, num_labels=3)
    processor = ViTImageProcessor(size={"height": INPUT_SIDE, "width": INPUT_SIDE})
    return ViTForImageClassification(config), processor


_BUILDERS = {"dpt": _tiny_dpt, "glpn": _tiny_glpn, "vit": _tiny_vit}


def save_tiny_depth_model(folder: Path, kind: str = "dpt") -> Path:
    """Build the tiny model ``kind`` with a fixed seed and save it plus its processor to ``folder``.

    Returns ``folder``. The same kind always gives the same weights, so tests can compare
    outputs across separately saved copies.
    """
    if kind not in _BUILDERS:
        raise ValueError(f"unknown tiny model kind {kind!r}; one of {sorted(_BUILDERS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    model, processor = _BUILDERS[kind]()
    model.eval()
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder
