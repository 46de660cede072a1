"""MaGGIe-style perturbations of guidance masks (``instance_masks``), for training.

MaGGIe (Huynh et al., CVPR 2024; ``maggie/dataloader/transforms.py``) trains on masks that look
like a segmenter's, not like the ground truth: ``RandomBinarizedMask`` (binarise at a random
threshold, then erode and/or dilate with a random square kernel), ``DownUpMask`` (resize to 1/8
and back, so the boundary loses detail), ``CutMask`` (copy a random box of a mask onto another
place of it, or swap one box between two instances) and ``MaskDropout`` (zero a box inside an
instance). This module is a re-implementation on mattehub's arrays, written here because no
maintained library offers these four operations on instance stacks; it differs in two ways:

- **one draw per instance for the whole clip**: MaGGIe draws each (frame, instance) mask anew;
  here instance k gets one set of parameters (threshold, kernels, boxes) applied to every frame,
  so a clip's guidance does not flicker and the rule "one seeded draw, every frame" holds;
- **dropout for any instance count**: MaGGIe drops boxes only when there are 6 or more instances;
  here it drops in 1 to max(1, K // 2) instances with probability ``dropout_p``.

Randomness only comes from the ``rng`` argument. Masks stay uint8 0/255, of the same shape.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

GUIDANCE_FIELD = "instance_masks"
"""The guidance masks: (K, H, W) for an image, (T, K, H, W) for a clip."""


@dataclass(frozen=True)
class GuidanceOptions:
    """How guidance masks are perturbed (MaGGIe's defaults: ``maggie/dataloader/him.py``)."""

    max_kernel: int = 30
    """Erode/dilate kernels are square, of side 1 to ``max_kernel`` - 1 (1 leaves the mask as is)."""
    down_up_p: float = 0.5
    """Probability, per instance, of the resize to ``down_up_ratio`` and back."""
    down_up_ratio: float = 0.125
    cut_p: float = 0.5
    """Probability of a cut-out: per instance (internal copy) or between two instances (swap)."""
    dropout_p: float = 0.5
    """Probability of zeroing one box in 1 to max(1, K // 2) instances."""
    from_alphas: bool = False
    """Examples without ``instance_masks`` get them from ``instance_alphas`` (binarised by the
    first step), as MaGGIe trains on I-HIM50K, which has no masks."""

    def __post_init__(self) -> None:
        for name in ("down_up_p", "cut_p", "dropout_p"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name}={getattr(self, name)}: a probability must be within [0, 1]")
        if self.max_kernel < 2:
            raise ValueError(f"max_kernel={self.max_kernel}: must be at least 2")
        if not 0.0 < self.down_up_ratio < 1.0:
            raise ValueError(f"down_up_ratio={self.down_up_ratio}: must be within (0, 1)")


def _morph(masks: np.ndarray, rng: np.random.Generator, max_kernel: int) -> np.ndarray:
    """Binarise the (T, H, W) masks of one instance at a random threshold, then dilate and/or erode."""
    threshold = rng.uniform(0.1, 0.95) * 255
    dilate = np.ones((int(rng.integers(1, max_kernel)),) * 2, np.uint8)
    erode = np.ones((int(rng.integers(1, max_kernel)),) * 2, np.uint8)
    order = {"dilate_erode": (dilate, erode), "erode_dilate": (erode, dilate),
             "dilate": (dilate,), "erode": (erode,)}
    steps = order[str(rng.choice(list(order)))]
    out = np.empty_like(masks)
    for t, mask in enumerate(masks):
        binary = (mask > threshold).astype(np.uint8)
        for kernel in steps:
            binary = (cv2.dilate if kernel is dilate else cv2.erode)(binary, kernel)
        out[t] = binary * 255
    return out


def _down_up(masks: np.ndarray, ratio: float) -> np.ndarray:
    """Each (H, W) mask resized by ``ratio`` and back (bilinear), binarised at 127."""
    height, width = masks.shape[-2:]
    small = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    out = np.empty_like(masks)
    for t, mask in enumerate(masks):
        back = cv2.resize(cv2.resize(mask, small, interpolation=cv2.INTER_LINEAR), (width, height),
                          interpolation=cv2.INTER_LINEAR)
        out[t] = (back > 127).astype(np.uint8) * 255
    return out


def _box(rng: np.random.Generator, height: int, width: int) -> tuple[int, int, int, int]:
    """A random (y, x, h, w) box of 1/8 to 1/4 of each side (MaGGIe's ``CutMask`` sizes)."""
    box_h = int(rng.integers(max(1, height // 8), max(2, height // 4)))
    box_w = int(rng.integers(max(1, width // 8), max(2, width // 4)))
    return int(rng.integers(height - box_h + 1)), int(rng.integers(width - box_w + 1)), box_h, box_w


def _cut(masks: np.ndarray, rng: np.random.Generator, p: float) -> None:
    """In place on (T, K, H, W): MaGGIe's ``CutMask``. Half the time, each instance with
    probability ``p`` gets a box copied from elsewhere in its own mask; else, with probability
    ``p`` and K > 1, two instances swap one box."""
    _, count, height, width = masks.shape
    if rng.random() < 0.5:
        for k in range(count):
            if rng.random() < p:
                y, x, h, w = _box(rng, height, width)
                y1, x1 = int(rng.integers(height - h + 1)), int(rng.integers(width - w + 1))
                masks[:, k, y:y + h, x:x + w] = masks[:, k, y1:y1 + h, x1:x1 + w].copy()
    elif rng.random() < p and count > 1:
        i, j = (int(n) for n in rng.choice(count, 2, replace=False))
        y, x, h, w = _box(rng, height, width)
        window = (slice(None), [i, j], slice(y, y + h), slice(x, x + w))
        masks[window] = masks[(slice(None), [j, i], slice(y, y + h), slice(x, x + w))].copy()


def _dropout(masks: np.ndarray, rng: np.random.Generator, p: float) -> None:
    """In place on (T, K, H, W): MaGGIe's ``MaskDropout``: in some instances, zero a box of 1/16
    to 1/8 of the instance's extent (its union over frames) at one of its pixels."""
    count = masks.shape[1]
    if count == 0 or rng.random() >= p:
        return
    chosen = rng.choice(count, int(rng.integers(1, max(1, count // 2) + 1)), replace=False)
    for k in sorted(int(n) for n in chosen):
        ys, xs = np.nonzero(masks[:, k].any(axis=0))
        if ys.size == 0 or (np.ptp(ys) + 1) // 8 < 2 or (np.ptp(xs) + 1) // 8 < 2:
            continue
        extent_h, extent_w = int(np.ptp(ys)) + 1, int(np.ptp(xs)) + 1
        h = int(rng.integers(extent_h // 16, extent_h // 8)) or 1
        w = int(rng.integers(extent_w // 16, extent_w // 8)) or 1
        pick = int(rng.integers(ys.size))
        y, x = min(int(ys[pick]), int(ys.max()) - h), min(int(xs[pick]), int(xs.max()) - w)
        masks[:, k, max(y, 0):max(y, 0) + h, max(x, 0):max(x, 0) + w] = 0


def perturb_guidance(example: Mapping[str, Any], rng: np.random.Generator,
                     options: GuidanceOptions = GuidanceOptions()) -> dict[str, Any]:
    """``example`` with its ``instance_masks`` perturbed (see the module docstring); unchanged
    without them (or, with ``options.from_alphas``, with masks made from ``instance_alphas``).

    Every frame of a clip gets the same draws: per instance, binarise + erode/dilate, then
    down-up resampling, then a cut-out, then dropout.
    """
    source = GUIDANCE_FIELD if GUIDANCE_FIELD in example else None
    if source is None and options.from_alphas and "instance_alphas" in example:
        source = "instance_alphas"
    if source is None:
        return dict(example)
    stored = np.asarray(example[source])
    masks = stored[None] if stored.ndim == 3 else stored  # (T, K, H, W); T = 1 for an image
    out = np.empty(masks.shape, np.uint8)
    for k in range(masks.shape[1]):
        out[:, k] = _morph(masks[:, k], rng, options.max_kernel)
        if rng.random() < options.down_up_p:
            out[:, k] = _down_up(out[:, k], options.down_up_ratio)
    _cut(out, rng, options.cut_p)
    _dropout(out, rng, options.dropout_p)
    return {**example, GUIDANCE_FIELD: out.reshape(stored.shape)}
