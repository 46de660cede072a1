"""The pixel work of an ``aim`` training sample: Deep Image Matting's composition.

The rule and its pixel functions are in ``mattehub/synthesis/dim.py`` (shared with the other
families that composite the DIM way); this module reads an ``aim`` foreground from its
``train/fg`` and ``train/alpha`` folders.
"""
from __future__ import annotations

from pathlib import Path

from mattehub.families.aim.sources import TRAIN_FOLDERS, Foreground
from mattehub.synthesis.dim import (PreparedForeground, blend_weights, composite, dim_background,
                                    dim_scale, prepare)

__all__ = ["PreparedForeground", "blend_weights", "composite", "dim_background", "dim_scale",
           "prepare_foreground"]


def prepare_foreground(root: Path, item: Foreground, method: str, image_format: str,
                       jpeg_quality: int) -> PreparedForeground:
    """``item``'s foreground (``train/fg``) and alpha (``train/alpha``) prepared for its
    samples (``synthesis.dim.prepare``)."""
    return prepare(root / TRAIN_FOLDERS[0] / item.name, root / TRAIN_FOLDERS[1] / item.alpha,
                   item.size, method, image_format, jpeg_quality)
