"""Training augmentations on decoded examples: flip, rescale, colour jitter, guidance masks.

Each augmentation makes **one** random draw per example and applies it to every field and every
frame of a clip: a flipped image has flipped mattes, masks, depth and trimaps; a rescaled clip
has every frame and field at the same new size; the jitter is one colour map for ``image`` /
``frames``, ``fg`` and ``bg`` (never the mattes, masks or depth). ``AugmentOptions`` declares
them once; ``TrainTransform(augment=AugmentOptions(...))`` applies them in this order:

1. ``random_rescale`` and ``hflip`` at full resolution, before the trimap and the crop;
2. ``colour_jitter`` and ``perturb_guidance`` (``mattehub.training.guidance``) on the crop.

Randomness only comes from the ``rng`` argument. The geometric ones change pixels only: keys
such as ``meta`` (whose boxes refer to the stored sample) pass through unchanged.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from mattehub.training.arrays import COLOUR_FIELDS, is_colour, spatial_fields, spatial_size
from mattehub.training.guidance import GuidanceOptions, perturb_guidance

SMOOTH_FIELDS: tuple[str, ...] = (*COLOUR_FIELDS, "alpha", "instance_alphas")
"""Fields resized with area (shrinking) or bilinear (enlarging) interpolation. Every other
per-pixel field (masks, labels, depth, trimaps, bool masks) is resized by nearest neighbour,
which invents no label, mask level or depth between surfaces."""


@dataclass(frozen=True)
class AugmentOptions:
    """The augmentations ``TrainTransform(augment=...)`` applies; each is off at its neutral value."""

    flip_p: float = 0.5
    """Probability of a horizontal flip."""
    scale: tuple[float, float] = (0.75, 1.5)
    """Rescale factor range, drawn uniformly; (1.0, 1.0): no rescale."""
    brightness: float = 0.2
    """Colour jitter, as torchvision's ``ColorJitter``: factors drawn in [1 - v, 1 + v] ..."""
    contrast: float = 0.2
    saturation: float = 0.2
    hue: float = 0.02
    """... and a hue rotation in [-hue, hue] turns. 0 everywhere: no jitter."""
    guidance: GuidanceOptions | None = field(default_factory=GuidanceOptions)
    """Guidance-mask perturbations (``instance_masks``); None: masks as stored."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.flip_p <= 1.0:
            raise ValueError(f"flip_p={self.flip_p}: a probability must be within [0, 1]")
        low, high = self.scale
        if not 0.0 < low <= high:
            raise ValueError(f"scale={self.scale}: needs 0 < low <= high")
        for name in ("brightness", "contrast", "saturation"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name}={getattr(self, name)}: must be within [0, 1)")
        if not 0.0 <= self.hue <= 0.5:
            raise ValueError(f"hue={self.hue}: must be within [0, 0.5] turns")


def _flip(array: np.ndarray, colour: bool) -> np.ndarray:
    """A (..., H, W[, 3]) array mirrored left-right, as a contiguous copy (torch refuses
    negative strides)."""
    return np.ascontiguousarray(array[..., ::-1, :] if colour else array[..., ::-1])


def hflip(example: Mapping[str, Any], rng: np.random.Generator, p: float = 0.5) -> dict[str, Any]:
    """With probability ``p`` (one draw), every per-pixel field of every frame mirrored left-right."""
    if rng.random() >= p:
        return dict(example)
    return {**example, **{name: _flip(np.asarray(example[name]), is_colour(name))
                          for name in spatial_fields(example)}}


def resize_field(array: np.ndarray, name: str, size: tuple[int, int]) -> np.ndarray:
    """A (..., H, W[, 3]) field resized to ``size`` (H, W) with the interpolation its kind needs
    (``SMOOTH_FIELDS``: area to shrink, bilinear to enlarge; others: nearest). Keeps the dtype."""
    colour, smooth = is_colour(name), name in SMOOTH_FIELDS
    tail = 3 if colour else 2
    lead, (height, width) = array.shape[:-tail], array.shape[-tail:][:2]
    if smooth:
        interpolation = cv2.INTER_AREA if size[0] * size[1] < height * width else cv2.INTER_LINEAR
    else:
        interpolation = cv2.INTER_NEAREST
    work = array.view(np.uint8) if array.dtype == bool else array
    flat = work.reshape(-1, *work.shape[-tail:])
    out = np.empty((flat.shape[0], *size, *((3,) if colour else ())), work.dtype)
    for index, plane in enumerate(flat):
        out[index] = cv2.resize(plane, (size[1], size[0]), interpolation=interpolation)
    out = out.reshape(*lead, *out.shape[1:])
    return out.view(bool) if array.dtype == bool else out


def random_rescale(example: Mapping[str, Any], rng: np.random.Generator,
                   scale: tuple[float, float] = (0.75, 1.5)) -> dict[str, Any]:
    """Every per-pixel field resized by one factor drawn uniformly in ``scale`` (all frames, all
    fields: one new (H, W)), before the crop, as GCA-Matting and MaGGIe rescale before cropping."""
    factor = float(rng.uniform(*scale))
    height, width = spatial_size(example)
    size = (max(1, round(height * factor)), max(1, round(width * factor)))
    if size == (height, width):
        return dict(example)
    return {**example, **{name: resize_field(np.asarray(example[name]), name, size)
                          for name in spatial_fields(example)}}


_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def jitter_map(example: Mapping[str, Any], rng: np.random.Generator, brightness: float,
               contrast: float, saturation: float, hue: float) -> tuple[np.ndarray, np.ndarray]:
    """One draw of the colour jitter as an affine map ``rgb -> matrix @ rgb + offset``.

    Brightness scales, contrast blends with the mean grey of ``image`` / ``frames`` (the whole
    clip), saturation blends with each pixel's grey, hue rotates chroma about the grey axis (in
    YIQ, a linear stand-in for torchvision's HSV shift). All are affine, so one map serves every
    RGB field and keeps ``image = alpha * fg + (1 - alpha) * bg`` up to clipping and rounding.
    """
    b, c, s = (float(rng.uniform(1 - v, 1 + v)) for v in (brightness, contrast, saturation))
    angle = float(rng.uniform(-hue, hue)) * 2 * np.pi
    reference = next((example[n] for n in ("image", "frames", "bg") if n in example), None)
    mean = float(np.asarray(reference, np.float32).reshape(-1, 3).mean(0) @ _LUMA) if reference is not None else 0.0
    rotation = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    hue_matrix = np.linalg.inv(_RGB_TO_YIQ) @ rotation @ _RGB_TO_YIQ
    grey = np.outer(np.ones(3), _LUMA)
    saturation_matrix = s * np.eye(3) + (1 - s) * grey
    matrix = hue_matrix @ saturation_matrix @ (c * b * np.eye(3))
    offset = hue_matrix @ saturation_matrix @ np.full(3, (1 - c) * b * mean)
    return matrix.astype(np.float32), offset.astype(np.float32)


def colour_jitter(example: Mapping[str, Any], rng: np.random.Generator, brightness: float = 0.2,
                  contrast: float = 0.2, saturation: float = 0.2, hue: float = 0.02) -> dict[str, Any]:
    """The RGB fields (``image``, ``frames``, ``fg``, ``bg``) through one ``jitter_map`` draw;
    mattes, masks, depth and trimaps untouched."""
    matrix, offset = jitter_map(example, rng, brightness, contrast, saturation, hue)
    out = dict(example)
    for name in (n for n in COLOUR_FIELDS if n in example):
        rgb = np.asarray(example[name], np.float32) @ matrix.T + offset
        out[name] = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    return out


def _streams(rng: np.random.Generator) -> dict[str, np.random.Generator]:
    """One child generator per augmentation, so switching one off leaves the others' draws."""
    names = ("rescale", "flip", "jitter", "guidance")
    return dict(zip(names, rng.spawn(len(names))))


def augment_full(example: Mapping[str, Any], options: AugmentOptions,
                 rng: np.random.Generator) -> dict[str, Any]:
    """The full-resolution steps: ``random_rescale`` then ``hflip`` (before trimap and crop)."""
    streams = _streams(rng)
    out = dict(example)
    if options.scale != (1.0, 1.0):
        out = random_rescale(out, streams["rescale"], options.scale)
    return hflip(out, streams["flip"], options.flip_p) if options.flip_p else out


def augment_crop(example: Mapping[str, Any], options: AugmentOptions,
                 rng: np.random.Generator) -> dict[str, Any]:
    """The steps on the crop: ``colour_jitter`` then ``perturb_guidance``."""
    streams = _streams(rng)
    out = dict(example)
    if any((options.brightness, options.contrast, options.saturation, options.hue)):
        out = colour_jitter(out, streams["jitter"], options.brightness, options.contrast,
                            options.saturation, options.hue)
    if options.guidance is not None:
        out = perturb_guidance(out, streams["guidance"], options.guidance)
    return out
