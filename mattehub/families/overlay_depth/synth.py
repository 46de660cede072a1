"""``overlay-depth`` synthesis: a foreground cut-out pasted on a square background.

Sample ids: ``P = flips * len(scales) * positions`` samples per (background, foreground)
pair (40 by default); ``pair, k = divmod(id, P)``; ``bg, fg = divmod(pair, n_fg)``;
``flip = k // (len(scales) * positions)`` (the unflipped samples first, as upstream numbered
1-20 then 21-40), ``scale = scales[k // positions % len(scales)]``, and the position is drawn
uniformly among those that keep the box inside the canvas from ``rng(config, seed, id)``.

Pixels: the background is resized to ``size`` x ``size`` (aspect not kept, as upstream; area
filter when shrinking, cubic when enlarging). The foreground is flipped, then scaled to
``round(side * scale)`` with colour premultiplied by alpha (so colours hidden under alpha 0
never bleed into the edge), mask by nearest neighbour (stays binary), and composited
``image = F*a + B*(1-a)`` inside its box only. ``exact`` depth: the background's depth map
(nearest-neighbour resized, so no depth is invented between surfaces), and inside the mask
the depth at the foot point ``(x + w // 2, y + h - 1)``: the cut-out stands on the floor.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from mattehub.contract import codecs
from mattehub.recipes.outcomes import LastItem
from mattehub.core.rng import sample_rng
from mattehub.inputs import gate
from mattehub.inputs.backgrounds import Background
from mattehub.families.overlay_depth.sources import Foreground, Layer, load_foreground


@dataclass(frozen=True)
class Placement:
    """Where sample ``index`` puts which foreground on which background."""

    bg: int
    fg: int
    k: int
    flipped: bool
    scale: float
    x: int
    y: int
    w: int
    h: int

    @property
    def foot(self) -> tuple[int, int]:
        """(x, y) of the box's bottom-centre pixel."""
        return self.x + self.w // 2, self.y + self.h - 1


@dataclass
class Background224:
    """A background resized to the canvas: colour (BGR), its encoded bytes, depth (uint16)."""

    bgr: np.ndarray
    data: bytes
    depth: np.ndarray | None


@dataclass
class Overlay:
    """One synthesised sample's arrays (BGR image, mask 0/255, exact depth or None)."""

    placement: Placement
    image: np.ndarray
    mask: np.ndarray
    depth: np.ndarray | None
    bg_data: bytes
    events: list[dict]


def resize_to(array: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    """``array`` at ``size`` (W, H): area filter when shrinking, cubic when enlarging."""
    if (array.shape[1], array.shape[0]) == tuple(size):
        return array
    if nearest:
        return cv2.resize(array, size, interpolation=cv2.INTER_NEAREST_EXACT)
    shrink = size[0] * size[1] < array.shape[0] * array.shape[1]
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


class Synthesis:
    """The pixel side of the recipe; decoded inputs are cached per process (one background,
    one foreground with its scaled variants), so a pair's samples decode each file once."""

    def __init__(self, opts: Any, name: str, seed: int, backgrounds: Sequence[Background],
                 foregrounds: Sequence[Foreground], depth_maps: dict[str, str] | None) -> None:
        """``opts``: the ``overlay-depth`` options; ``name`` and ``seed`` seed the placements."""
        self.name, self.seed, self.opts = name, seed, opts
        self.backgrounds, self.foregrounds, self.depth_maps = backgrounds, foregrounds, depth_maps
        self.flips = (False, True) if opts.flip else (False,)
        self.per_pair = len(self.flips) * len(opts.scales) * opts.positions
        self._bg: LastItem[Background224] = LastItem()
        """The last background at the canvas size (decoded data stays in its process: a
        ``LastItem`` pickles empty)."""
        self._fg: LastItem[tuple[Layer, dict]] = LastItem()
        """The last foreground loaded, and its flipped and scaled variants by placement."""

    def available(self) -> int:
        return len(self.backgrounds) * len(self.foregrounds) * self.per_pair

    def locate(self, index: int) -> Placement:
        """The placement of sample ``index`` (see the module docstring)."""
        opts = self.opts
        pair, k = divmod(index, self.per_pair)
        bg, fg = divmod(pair, len(self.foregrounds))
        flip, rest = divmod(k, len(opts.scales) * opts.positions)
        scale = opts.scales[rest // opts.positions]
        width, height = self.foregrounds[fg].size
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        rng = sample_rng(self.name, self.seed, index)
        x, y = int(rng.integers(opts.size - w + 1)), int(rng.integers(opts.size - h + 1))
        return Placement(bg, fg, k, self.flips[flip], scale, x, y, w, h)

    def background(self, number: int) -> Background224:
        """Background ``number`` at the canvas size (cached; a failure is cached too)."""
        return self._bg.get(number, lambda: self._load_background(number))

    def _load_background(self, number: int) -> Background224:
        opts, bg = self.opts, self.backgrounds[number]
        root = Path(opts.bg_root)
        bgr = gate.decode_rgb(gate.read_file(root / bg.path), bg.path, bgr=True)
        canvas = resize_to(bgr, (opts.size, opts.size))
        depth = None
        if self.depth_maps is not None:
            rel = self.depth_maps[bg.path]
            raw = gate.depth_png16(gate.read_file(Path(opts.bg_depth_root) / rel), rel,
                                   (bgr.shape[1], bgr.shape[0]))
            depth = resize_to(raw, (opts.size, opts.size), nearest=True)
        data = codecs.encode_rgb(canvas, opts.image_format, opts.jpeg_quality, bgr=True)
        return Background224(canvas, data, depth)

    def layer(self, placement: Placement) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """(premultiplied colour float32, alpha float32 0..1, mask uint8 0/255, notes) of the
        placement's foreground, flipped and scaled (cached per foreground)."""
        fg, mask_root = self.foregrounds[placement.fg], self.opts.mask_root
        layer, scaled = self._fg.get(placement.fg, lambda: (load_foreground(
            Path(self.opts.fg_root), Path(mask_root) if mask_root else None, fg), {}))
        key = (placement.flipped, placement.w, placement.h)
        if key not in scaled:
            scaled[key] = _scaled(layer, placement)
        return scaled[key] + (list(layer.notes),)

    def overlay(self, index: int) -> Overlay:
        """Sample ``index``'s arrays; SourceError when one of its files fails the gate."""
        placement = self.locate(index)
        bg = self.background(placement.bg)
        colour, alpha, mask_box, notes = self.layer(placement)
        fg_path = self.foregrounds[placement.fg].path
        events = [gate.note_event(fg_path, note) for note in notes]
        x, y, w, h = placement.x, placement.y, placement.w, placement.h
        image = bg.bgr.copy()
        region = image[y:y + h, x:x + w].astype(np.float32)
        image[y:y + h, x:x + w] = np.rint(colour + region * (1.0 - alpha)).astype(np.uint8)
        mask = np.zeros(bg.bgr.shape[:2], np.uint8)
        mask[y:y + h, x:x + w] = mask_box
        depth = None
        if bg.depth is not None:
            depth = bg.depth.copy()
            foot_x, foot_y = placement.foot
            depth[y:y + h, x:x + w][mask_box > 0] = bg.depth[foot_y, foot_x]
        return Overlay(placement, image, mask, depth, bg.data, events)


def _scaled(layer: Layer, placement: Placement) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flip and scale a foreground: colour premultiplied by alpha before resizing."""
    bgr, alpha, mask = layer.bgr, layer.alpha, layer.mask.astype(np.uint8) * 255
    if placement.flipped:
        bgr, alpha, mask = cv2.flip(bgr, 1), cv2.flip(alpha, 1), cv2.flip(mask, 1)
    weight = alpha.astype(np.float32) / 255.0
    premultiplied = bgr.astype(np.float32) * weight[:, :, None]
    size = (placement.w, placement.h)
    premultiplied, weight = resize_to(premultiplied, size), resize_to(weight, size)
    weight = np.clip(weight, 0.0, 1.0)
    premultiplied = np.clip(premultiplied, 0.0, 255.0 * weight[:, :, None])
    return premultiplied, weight[:, :, None], resize_to(mask, size, nearest=True)
