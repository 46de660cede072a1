"""The codec floor (c) of ``bench_i_him.py``: the image I/O an ``i-him`` sample cannot avoid.

Per sample index it makes the same random choices as mattehub's first attempt (the same
per-sample generator, so the same instance count, foregrounds and background), then only:

* reads and decodes the inputs: the background JPEG, and each foreground's JPEG and PNG;
* encodes the outputs mattehub writes: composite JPEG (q95), union matte PNG, one PNG
  matte and one JPEG foreground per instance; the background bytes are passed through,
  as mattehub does for a JPEG background. mattehub drops instances that fail placement;
  given ``placed`` (the foregrounds mattehub placed, per index, from its meta) the floor
  encodes outputs for those only, otherwise for every drawn foreground.

All decoding goes through ``mattehub.inputs.gate`` and encoding through ``mattehub.contract.codecs``
(same functions, same settings).
There is no resampling, occlusion or blending: each instance's output is an unscaled crop of
its source (the top-left part of the matte's content box, with the height (a) would give
it) copied at a uniform position, so the encoded arrays have the sizes and roughly the
content of (a)'s, at the cost of slice copies and one mask. Nothing is written to disk.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mattehub.contract import codecs
from mattehub.inputs import gate
from mattehub.core.rng import sample_rng
from mattehub.inputs.backgrounds import scan_backgrounds
from mattehub.families.image_him.sources import scan_foregrounds

CONFIG = "i-him"  # the recipe name salts mattehub's per-sample generator
MIN_INSTANCES, MAX_INSTANCES = 2, 4
MIN_HEIGHT, MAX_HEIGHT = 0.5, 0.9


@dataclass
class FloorStats:
    """What a floor run did."""

    samples: int = 0
    instances: int = 0
    bytes_out: int = 0


@dataclass(frozen=True)
class Window:
    """An instance's output: RGB and matte crops and their top-left position on the canvas."""

    rgb: np.ndarray
    alpha: np.ndarray
    x: int
    y: int

    def slices(self) -> tuple[slice, slice]:
        height, width = self.alpha.shape
        return slice(self.y, self.y + height), slice(self.x, self.x + width)


def decode_instance(root: Path, image: str, alpha: str) -> tuple[np.ndarray, np.ndarray]:
    """Read and decode a foreground and its matte."""
    rgb = gate.decode_rgb(gate.read_file(root / image), image)
    return rgb, gate.decode_matte(gate.read_file(root / alpha), alpha).array


def matte_box(alpha: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, width, height) of the matte's non-zero pixels (the whole matte if empty)."""
    rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:
        return 0, 0, alpha.shape[1], alpha.shape[0]
    x0, y0 = int(cols[0]), int(rows[0])
    return x0, y0, int(cols[-1]) + 1 - x0, int(rows[-1]) + 1 - y0


def make_window(rgb: np.ndarray, alpha: np.ndarray, canvas: tuple[int, int],
                rng: np.random.Generator) -> Window:
    """Crop the matte's content to the size (a) would scale it to; draw a position."""
    width, height = canvas
    x0, y0, box_w, box_h = matte_box(alpha)
    target_h = max(1, round(float(rng.uniform(MIN_HEIGHT, MAX_HEIGHT)) * height))
    h = min(target_h, box_h)
    w = min(max(1, round(box_w * target_h / box_h)), box_w, width)
    x, y = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
    return Window(rgb[y0:y0 + h, x0:x0 + w], alpha[y0:y0 + h, x0:x0 + w], x, y)


def encode_outputs(background: np.ndarray, windows: list[Window], quality: int) -> int:
    """Encode composite, union, per-instance mattes and foregrounds; returns bytes made."""
    image, union = background.copy(), np.zeros(background.shape[:2], np.uint8)
    for window in windows:
        image[window.slices()], union[window.slices()] = window.rgb, window.alpha
    made = len(codecs.encode_jpeg(image, quality)) + len(codecs.encode_png(union))
    for window in windows:
        matte, fg = np.zeros_like(union), np.zeros_like(image)
        matte[window.slices()] = window.alpha
        fg[window.slices()] = np.where(window.alpha[:, :, None] > 0, window.rgb, 0)
        made += len(codecs.encode_png(matte)) + len(codecs.encode_jpeg(fg, quality))
    return made


def floor_sample(image_root: Path, bg_root: Path, foregrounds: list, backgrounds: list,
                 rng: np.random.Generator, quality: int,
                 placed: Collection[str] | None = None) -> tuple[int, int]:
    """Decode one sample's inputs and encode its outputs; returns (instances, bytes made).

    Every drawn foreground is decoded; outputs are encoded for those in ``placed`` (image
    paths relative to the image root), or for all of them when ``placed`` is None.
    """
    count = int(rng.integers(MIN_INSTANCES, MAX_INSTANCES + 1))
    chosen = rng.choice(len(foregrounds), size=min(count, len(foregrounds)), replace=False)
    bg = backgrounds[int(rng.integers(len(backgrounds)))]
    background = gate.decode_rgb(gate.read_file(bg_root / bg.path), bg.path)
    canvas = (background.shape[1], background.shape[0])
    windows = []
    for fg_index in chosen:
        fg = foregrounds[int(fg_index)]
        rgb, alpha = decode_instance(image_root, fg.image, fg.alpha)
        window = make_window(rgb, alpha, canvas, rng)
        if placed is None or fg.image in placed:
            windows.append(window)
    return len(windows), encode_outputs(background, windows, quality)


def run_floor(image_root: Path, bg_root: Path, invalid_file: Path | None, num_samples: int,
              seed: int = 0, quality: int = codecs.DEFAULT_JPEG_QUALITY,
              placed: Mapping[int, Collection[str]] | None = None) -> FloorStats:
    """Run the floor for samples ``0 .. num_samples-1`` with the sources mattehub would list.

    ``placed`` maps a sample index to the foregrounds mattehub placed in it (see
    ``floor_sample``); indices missing from it encode every drawn foreground.
    """
    image_root, bg_root = Path(image_root), Path(bg_root)
    foregrounds = scan_foregrounds(image_root, invalid_file).foregrounds
    backgrounds = scan_backgrounds(bg_root).backgrounds
    placed = placed or {}
    stats = FloorStats()
    for index in range(num_samples):
        rng = sample_rng(CONFIG, seed, index)
        instances, made = floor_sample(image_root, bg_root, foregrounds, backgrounds, rng,
                                       quality, placed.get(index))
        stats.samples += 1
        stats.instances += instances
        stats.bytes_out += made
    return stats
