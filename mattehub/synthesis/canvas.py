"""Where a frame and a background go on the output canvas: the two ``surreal-alpha`` layouts.

* ``native``: the canvas is the frame's own size; the background is scaled to cover it
  (the smallest scale at which it covers both sides) and centre-cropped.
* ``dim``: the geometry of Deep Image Matting's data-creation tool (docs/sources.md, 'SURREAL'):
  the frame scaled so its longer side is 640, the background scaled so its shorter side is
  ``bg_size``; the canvas is the scaled background and the frame sits in its centre, zero
  padding around it.

Colour is resized with ``INTER_AREA`` when shrinking and ``INTER_CUBIC`` when enlarging
(upstream uses cubic throughout; area averaging avoids aliasing when shrinking). Label-like
arrays (part labels, depth) use ``INTER_NEAREST_EXACT``: a label or a depth must be one of
the source's values, never a blend of two.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mattehub.contract.choices import DIM_FRAME_LONG_SIDE, LAYOUTS


@dataclass(frozen=True)
class Geometry:
    """Sizes are (width, height); boxes are (x, y, width, height) on the canvas."""

    canvas: tuple[int, int]
    frame_scale: float
    frame_box: tuple[int, int, int, int]
    bg_scale: float
    bg_scaled: tuple[int, int]
    bg_crop: tuple[int, int]
    """Top-left corner of the canvas inside the scaled background."""


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def native_geometry(frame: tuple[int, int], bg: tuple[int, int]) -> Geometry:
    """The frame's own canvas, the background scaled to cover it and centre-cropped."""
    scale = max(frame[0] / bg[0], frame[1] / bg[1])
    scaled = _scaled(bg, scale)
    scaled = (max(scaled[0], frame[0]), max(scaled[1], frame[1]))
    crop = ((scaled[0] - frame[0]) // 2, (scaled[1] - frame[1]) // 2)
    return Geometry(frame, 1.0, (0, 0) + tuple(frame), scale, scaled, crop)


def dim_geometry(frame: tuple[int, int], bg: tuple[int, int], bg_size: int) -> Geometry:
    """Deep Image Matting's layout: background shorter side ``bg_size`` (the canvas), frame
    longer side 640, centred. ``bg_size`` must be at least 640 so that the frame fits."""
    if bg_size < DIM_FRAME_LONG_SIDE:
        raise ValueError(f"bg_size {bg_size} is smaller than the frame's {DIM_FRAME_LONG_SIDE} px")
    bg_scale = bg_size / min(bg)
    canvas = _scaled(bg, bg_scale)
    canvas = (max(canvas[0], bg_size), max(canvas[1], bg_size))
    frame_scale = DIM_FRAME_LONG_SIDE / max(frame)
    placed = _scaled(frame, frame_scale)
    box = ((canvas[0] - placed[0]) // 2, (canvas[1] - placed[1]) // 2) + placed
    return Geometry(canvas, frame_scale, box, bg_scale, canvas, (0, 0))


def geometry(layout: str, frame: tuple[int, int], bg: tuple[int, int], bg_size: int) -> Geometry:
    """The geometry of ``layout`` (one of LAYOUTS)."""
    if layout == "native":
        return native_geometry(frame, bg)
    if layout == "dim":
        return dim_geometry(frame, bg, bg_size)
    raise ValueError(f"unknown layout {layout!r}; layouts: {', '.join(LAYOUTS)}")


def _resize(array: np.ndarray, size: tuple[int, int], exact: bool) -> np.ndarray:
    if (array.shape[1], array.shape[0]) == tuple(size):
        return array
    if exact:
        interpolation = cv2.INTER_NEAREST_EXACT
    elif size[0] * size[1] < array.shape[0] * array.shape[1]:
        interpolation = cv2.INTER_AREA
    else:
        interpolation = cv2.INTER_CUBIC
    return cv2.resize(array, size, interpolation=interpolation)


def place_background(bg: np.ndarray, geo: Geometry) -> np.ndarray:
    """The background scaled and cropped to the canvas."""
    scaled = _resize(bg, geo.bg_scaled, exact=False)
    x, y = geo.bg_crop
    return np.ascontiguousarray(scaled[y:y + geo.canvas[1], x:x + geo.canvas[0]])


def scale_frame(array: np.ndarray, geo: Geometry, exact: bool) -> np.ndarray:
    """A frame-sized array scaled to its box's size (``exact``: nearest neighbour, for
    labels and depth). Per-pixel work is done at this size, not the canvas's."""
    return _resize(array, geo.frame_box[2:], exact)


def pad_frame(scaled: np.ndarray, geo: Geometry) -> np.ndarray:
    """A ``scale_frame`` result placed in its box on a zero canvas."""
    x, y, width, height = geo.frame_box
    canvas = np.zeros((geo.canvas[1], geo.canvas[0]) + scaled.shape[2:], scaled.dtype)
    canvas[y:y + height, x:x + width] = scaled
    return canvas


def paste_frame(canvas: np.ndarray, scaled: np.ndarray, mask: np.ndarray, geo: Geometry) -> None:
    """Copy ``scaled`` into ``canvas``'s frame box where ``mask`` is set, in place (no
    canvas-sized copy)."""
    x, y, width, height = geo.frame_box
    np.copyto(canvas[y:y + height, x:x + width], scaled, where=mask[:, :, None] > 0)
