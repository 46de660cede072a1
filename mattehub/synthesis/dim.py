"""Deep Image Matting's composition: a foreground and its alpha over a background.

Shared by the families that composite the DIM way (``aim``; ``distinctions-646``, whose
``gen_train.py`` follows the same rule). The rule, as mattehub implements it:

1. the foreground (pixels as stored: no EXIF rotation, colour channels only, an RGBA file's
   own A ignored) and its alpha (through the gate at the foreground's size) are read once per
   foreground;
2. the background is scaled by ``ratio = max(fg_w / bg_w, fg_h / bg_h)`` (Python floats)
   **only when ratio > 1**, to ``(ceil(bg_w * ratio), ceil(bg_h * ratio))`` with bicubic
   interpolation (OpenCV ``INTER_CUBIC``); it is never shrunk;
3. it is cropped at its top-left corner to the foreground's size (``bg[0:fg_h, 0:fg_w]``);
4. ``image = alpha * fg + (1 - alpha) * bg`` with ``alpha = a / 255``, computed in floating
   point and rounded to the nearest integer (never a tie: ``(a*fg + (255-a)*bg) / 255`` is
   never an odd multiple of 1/2). ``fg`` is the foreground as stored in the sample (the
   re-estimated one with ``--fg-reestimate``), so the equation holds for the stored fields
   (exactly with ``--image-format png``).

The upstream scripts used Pillow's bicubic filter and truncated (``int()``) instead of
rounding; the scale rule, the crop and the foreground-sized canvas are the same.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from mattehub.contract import codecs
from mattehub.core.errors import SourceError
from mattehub.synthesis.foreground import estimate_foreground
from mattehub.inputs import gate


@dataclass
class PreparedForeground:
    """One foreground, decoded and encoded once for all its samples."""

    fg: np.ndarray
    """BGR uint8 (H, W, 3): the foreground stored in the samples (raw or re-estimated)."""
    alpha: np.ndarray
    """uint8 (H, W)."""
    fg_bytes: bytes
    alpha_bytes: bytes
    events: list[dict] = field(default_factory=list)
    """``normalised_input`` events (said once per foreground, on its first sample)."""
    weights: tuple[np.ndarray, np.ndarray] | None = None
    """``blend_weights(alpha)``, computed once for all the foreground's samples."""

    def __post_init__(self) -> None:
        if self.weights is None:
            self.weights = blend_weights(self.alpha)


def dim_scale(fg_size: tuple[int, int], bg_size: tuple[int, int]) -> float:
    """Deep Image Matting's background scale for a foreground of ``fg_size`` (W, H) over a
    background of ``bg_size``: ``max(fg_w / bg_w, fg_h / bg_h)``, applied when > 1."""
    return max(fg_size[0] / bg_size[0], fg_size[1] / bg_size[1])


def dim_background(bg: np.ndarray, fg_size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """The background as composited (the module's rules 2 and 3) and the scale applied
    (1.0 when it was not scaled)."""
    height, width = bg.shape[:2]
    ratio = dim_scale(fg_size, (width, height))
    if ratio > 1:
        size = (math.ceil(width * ratio), math.ceil(height * ratio))
        bg = cv2.resize(bg, size, interpolation=cv2.INTER_CUBIC)
    else:
        ratio = 1.0
    return np.ascontiguousarray(bg[:fg_size[1], :fg_size[0]]), ratio


def blend_weights(alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``blendLinear``'s weights for ``alpha``: ``a`` and ``255 - a`` as float32."""
    weights = alpha.astype(np.float32)
    return weights, np.float32(255.0) - weights


def composite(fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray,
              weights: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``round(alpha/255 * fg + (1 - alpha/255) * bg)``, uint8 (rule 4). OpenCV's
    ``blendLinear`` with weights ``a`` and ``255 - a`` gives exactly that for every
    (fg, bg, a) in 0..255 (checked exhaustively), several times faster than numpy.
    ``weights``: ``blend_weights(alpha)`` when the caller keeps them for many samples."""
    first, second = weights if weights is not None else blend_weights(alpha)
    return cv2.blendLinear(fg, bg, first, second)


def prepare(fg_path: Path, alpha_path: Path, size: tuple[int, int], method: str,
            image_format: str, jpeg_quality: int) -> PreparedForeground:
    """Decode the foreground at ``fg_path`` (its header said ``size``) and its alpha
    (SourceError naming the file when one fails the gate), re-estimate the foreground with
    ``method`` unless it is ``none``, and encode the stored fields. A JPEG foreground stored
    as is (``jpg``, no re-estimation, upright RGB) keeps its bytes, and its decoded pixels are
    what the composite uses."""
    fg_data = gate.read_file(fg_path)
    fg, _, fg_note = gate.decode_rgba(fg_data, fg_path)
    if (fg.shape[1], fg.shape[0]) != tuple(size):
        raise SourceError(fg_path, f"decodes to {fg.shape[1]}x{fg.shape[0]}, its header says "
                                   f"{size[0]}x{size[1]}", gate.FIX)
    matte = gate.decode_matte(gate.read_file(alpha_path), alpha_path, size)
    events = [gate.note_event(path, note) for path, note in ((fg_path, fg_note), (alpha_path, matte.note))
              if note]
    if method != "none":
        fg = estimate_foreground(fg, matte.array, method)
        fg_bytes = codecs.encode_rgb(fg, image_format, jpeg_quality, bgr=True)
    elif image_format == "jpg" and fg_note is None and codecs.is_upright_rgb_jpeg(fg_data):
        fg_bytes = fg_data
    else:
        fg_bytes = codecs.encode_rgb(fg, image_format, jpeg_quality, bgr=True)
    return PreparedForeground(fg, matte.array, fg_bytes, matte.data, events)
