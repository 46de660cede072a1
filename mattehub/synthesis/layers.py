"""Instances placed back to front on a canvas, each new one occluding the earlier ones.

This is the occlusion rule of the HIM releases: placing instance *i* multiplies every
earlier instance's alpha by ``(1 - alpha_i)``. A placement is refused when it would leave
an earlier, non-empty instance with less than ``min_visible`` of its own alpha mass.
All work is done on the new instance's bounding box only, so cost grows with instance
size rather than canvas size.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Patch:
    """A foreground cut to its content: RGB uint8, its 8-bit matte, and that matte in [0, 1]."""

    rgb: np.ndarray
    alpha_u8: np.ndarray

    def __post_init__(self) -> None:
        self.alpha = self.alpha_u8.astype(np.float32) * np.float32(1 / 255)

    @property
    def size(self) -> tuple[int, int]:
        return self.alpha_u8.shape[1], self.alpha_u8.shape[0]


def content_box(alpha: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the pixels with alpha > 0, or None for an empty matte."""
    mask = alpha > 0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def crop_patch(rgb: np.ndarray, alpha_u8: np.ndarray, box: tuple[int, int, int, int]) -> Patch:
    """Cut ``rgb`` and its 8-bit matte to ``box``."""
    x0, y0, x1, y1 = box
    return Patch(rgb[y0:y1, x0:x1], alpha_u8[y0:y1, x0:x1])


def resize_patch(patch: Patch, size: tuple[int, int]) -> Patch:
    """Resize to (width, height): area averaging when shrinking, bicubic when enlarging.

    The matte is resized as 8-bit (what is stored in the end), which is faster than float
    and needs no clipping: OpenCV saturates bicubic overshoot to [0, 255].
    """
    if size == patch.size:
        return patch
    shrink = size[0] * size[1] < patch.size[0] * patch.size[1]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    return Patch(cv2.resize(patch.rgb, size, interpolation=interp),
                 cv2.resize(patch.alpha_u8, size, interpolation=interp))


@dataclass
class Layer:
    """One placed instance: its patch, top-left position and current (occluded) alpha."""

    patch: Patch
    x: int
    y: int
    alpha: np.ndarray  # float32 canvas-sized, occlusion applied
    own_mass: float

    def window(self) -> tuple[slice, slice]:
        width, height = self.patch.size
        return slice(self.y, self.y + height), slice(self.x, self.x + width)


class LayerStack:
    """The instances of one composite, back to front."""

    def __init__(self, width: int, height: int, min_visible: float) -> None:
        self.width, self.height, self.min_visible = width, height, min_visible
        self.layers: list[Layer] = []
        self._mass: list[float] = []

    def try_place(self, patch: Patch, x: int, y: int) -> bool:
        """Place ``patch`` at (x, y) unless that hides too much of an earlier instance."""
        rows, cols = slice(y, y + patch.size[1]), slice(x, x + patch.size[0])
        losses = [float((layer.alpha[rows, cols] * patch.alpha).sum()) for layer in self.layers]
        for layer, mass, loss in zip(self.layers, self._mass, losses):
            if layer.own_mass > 0 and mass - loss < self.min_visible * layer.own_mass:
                return False
        keep = 1.0 - patch.alpha
        for index, (layer, loss) in enumerate(zip(self.layers, losses)):
            layer.alpha[rows, cols] *= keep
            self._mass[index] -= loss
        canvas = np.zeros((self.height, self.width), np.float32)
        canvas[rows, cols] = patch.alpha
        own = float(patch.alpha.sum())
        self.layers.append(Layer(patch, x, y, canvas, own))
        self._mass.append(own)
        return True

    def _extent(self) -> tuple[slice, slice]:
        """The bounding box of every placed instance."""
        boxes = [layer.window() for layer in self.layers]
        return (slice(min(r.start for r, _ in boxes), max(r.stop for r, _ in boxes)),
                slice(min(c.start for _, c in boxes), max(c.stop for _, c in boxes)))

    def composite(self, background: np.ndarray) -> np.ndarray:
        """Alpha-blend every instance over ``background`` in order; returns uint8 RGB.

        Only the instances' joint bounding box is blended (in float32, rounded once).
        """
        image = background.copy()
        if not self.layers:
            return image
        rows, cols = self._extent()
        region = background[rows, cols].astype(np.float32)
        for layer in self.layers:
            lrows, lcols = layer.window()
            window = region[lrows.start - rows.start:lrows.stop - rows.start,
                            lcols.start - cols.start:lcols.stop - cols.start]
            alpha = layer.patch.alpha[:, :, None]
            window += alpha * (layer.patch.rgb - window)
        image[rows, cols] = np.rint(region).astype(np.uint8)
        return image

    def union_alpha(self) -> np.ndarray:
        """1 - prod(1 - alpha_i): equal to the sum of the occluded instance alphas."""
        remaining = np.ones((self.height, self.width), np.float32)
        for layer in self.layers:
            rows, cols = layer.window()
            remaining[rows, cols] *= 1.0 - layer.patch.alpha
        return 1.0 - remaining


def quantize(alpha: np.ndarray) -> np.ndarray:
    """Alpha in [0, 1] (float32) to 8-bit, rounding to nearest (OpenCV's saturate_cast).

    Values above 1 saturate at 255; inputs must not be negative, which holds for every
    matte built here (products and complements of values in [0, 1]).
    """
    return cv2.convertScaleAbs(alpha, alpha=255.0)


def visible_fraction(occluded: np.ndarray, own: np.ndarray) -> float:
    """Visible alpha mass over own alpha mass, from the stored 8-bit mattes (1.0 if empty)."""
    own_mass = int(own.sum(dtype=np.int64))
    if own_mass == 0:
        return 1.0
    return int(occluded.sum(dtype=np.int64)) / own_mass
