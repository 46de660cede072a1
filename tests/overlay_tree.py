"""Synthesis inputs for the overlay-depth tests, written independently of mattehub
(docs/sources.md, 'Overlay + mask + depth'; docs/format.md, 'Synthesis: which id is which').

* ``bg/``: backgrounds, JPEG q95 (PIL), of various sizes and aspect ratios (landscape,
  portrait, very wide, in a sub-folder too); blocky random colours, so resampling and
  placement errors show.
* ``fg/``: RGBA PNG cut-outs, max side <= 150, with soft alpha edges (a ramp of a few
  pixels around an asymmetric blob: a flip or a misplaced box shows). Colour where alpha is
  0 is pure green, which must never bleed into the composite; one foreground is pure red
  (a BGR/RGB swap would turn it blue).
* ``masks/``: ``mask_<fg stem>.jpg`` for some foregrounds, a shape *other* than the
  foreground's alpha, saved as a grey JPEG q50 by PIL like the original dataset's masks (so
  not binary: the recipe binarises at 128).
* ``depth/``: per background ``<bg stem>.png``, 16-bit single-channel PNG in millimetres,
  same relative folder and size as its background; every pixel a different value, so the
  nearest-neighbour mapping and the foot point are checkable exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

GREEN_HIDDEN = (0, 255, 0)
"""RGB under alpha 0 in every foreground: must never show in a composite."""
RED = (255, 0, 0)

# (relative path, width, height) -----------------------------------------------------------
SMALL_BACKGROUNDS = (("a_land.jpg", 120, 90), ("b_port.jpg", 40, 70), ("sub/c_wide.jpg", 200, 50))
"""For --size 64: shrinking (area), enlarging (cubic) and a very wide one."""
# (relative path, width, height, colour kind, mask file?)
SMALL_FOREGROUNDS = (("blob.png", 40, 28, "gradient", False), ("red.png", 24, 36, "red", False),
                     ("sub/tall.png", 22, 46, "halves", True))
"""For --size 64 (max side 48): two with their alpha as the matte, one with a mask file."""
DEFAULT_BACKGROUNDS = (("wide.jpg", 300, 200), ("narrow.jpg", 160, 240))
DEFAULT_FOREGROUNDS = (("person.png", 110, 150, "red", True),)
"""For the default --size 224: a 150 px tall red foreground with a mask file."""


@dataclass
class OverlayTree:
    root: Path
    bg_root: Path
    fg_root: Path
    mask_root: Path
    depth_root: Path
    backgrounds: list[str] = field(default_factory=list)
    """Relative background paths, sorted (the recipe's order)."""
    foregrounds: list[str] = field(default_factory=list)
    """Relative foreground paths, sorted."""
    fg_sizes: dict[str, tuple[int, int]] = field(default_factory=dict)
    """(width, height) per foreground, as written."""
    masks: dict[str, str] = field(default_factory=dict)
    """fg path -> its mask file (relative to mask_root)."""
    colours: dict[str, str] = field(default_factory=dict)

    def args(self, *, masks: bool = True, depth: bool = False) -> list[str]:
        """The synthesis options pointing at this tree."""
        args = ["--bg-root", str(self.bg_root), "--fg-root", str(self.fg_root)]
        if masks:
            args += ["--mask-root", str(self.mask_root)]
        if depth:
            args += ["--depth", "exact", "--bg-depth-root", str(self.depth_root)]
        return args


# Writing ----------------------------------------------------------------------------------

def background_pixels(width: int, height: int, seed: int) -> np.ndarray:
    """RGB uint8: 10 px blocks of random colour (30..225, never pure red or green)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(30, 226, (height // 10 + 1, width // 10 + 1, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.repeat(np.repeat(blocks, 10, 0), 10, 1)[:height, :width])


def write_background(path: Path, width: int, height: int, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(background_pixels(width, height, seed)).save(path, quality=95)


def depth_pixels(width: int, height: int, seed: int) -> np.ndarray:
    """uint16 millimetres, every pixel different: ``offset + y * width + x`` (<= 65535)."""
    offset = 300 + 7 * seed
    assert offset + width * height <= 65535
    return (offset + np.arange(width * height, dtype=np.int64).reshape(height, width)).astype(np.uint16)


def write_depth(path: Path, width: int, height: int, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), depth_pixels(width, height, seed))


def fg_alpha(width: int, height: int, ramp: float = 3.0) -> np.ndarray:
    """uint8 soft-edged blob: an ellipse with a bump on its left (asymmetric), alpha 255
    inside, a linear ramp of ``ramp`` px at the edge, 0 outside (and 0 on the border)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
    cx, cy, rx, ry = width * 0.55, height * 0.5, width * 0.4, height * 0.45
    # signed distance (approx.) to the ellipse edge, in pixels, positive inside
    r = np.sqrt(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2)
    inside = (1.0 - r) * min(rx, ry)
    bump_r = min(width, height) * 0.22
    bump = bump_r - np.hypot(xs - width * 0.2, ys - height * 0.3)
    distance = np.maximum(inside, bump)
    alpha = np.clip(distance / ramp, 0.0, 1.0)
    out = np.rint(alpha * 255).astype(np.uint8)
    out[0, :] = out[-1, :] = out[:, 0] = out[:, -1] = 0
    return out


def fg_colour(width: int, height: int, kind: str) -> np.ndarray:
    """RGB uint8 of a foreground's visible pixels."""
    if kind == "red":
        return np.broadcast_to(np.array(RED, np.uint8), (height, width, 3)).copy()
    ys, xs = np.mgrid[0:height, 0:width]
    if kind == "halves":  # left half blue-ish, right half yellow-ish: a flip shows
        left = xs < width // 2
        return np.where(left[:, :, None], np.array([20, 60, 230], np.uint8),
                        np.array([240, 220, 30], np.uint8)).astype(np.uint8)
    # smooth gradient
    r = 40 + (180 * xs / max(1, width - 1))
    g = 200 - (150 * ys / max(1, height - 1))
    b = np.full_like(r, 120.0)
    return np.rint(np.stack([r, g, b], -1)).astype(np.uint8)


def write_foreground(path: Path, width: int, height: int, kind: str) -> np.ndarray:
    """An RGBA PNG; returns its RGBA array."""
    alpha = fg_alpha(width, height)
    rgb = fg_colour(width, height, kind)
    rgb[alpha == 0] = GREEN_HIDDEN
    rgba = np.dstack([rgb, alpha])
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgba, "RGBA").save(path)
    return rgba


def mask_shape(width: int, height: int) -> np.ndarray:
    """A mask other than the alpha, uint8 (before JPEG): the upper 60 % of the box minus a
    triangle at its top right set to 255, and lower down a band ramping 116..140 from left
    to right, so that after JPEG some pixels are exactly 127 and 128 (the threshold)."""
    ys, xs = np.mgrid[0:height, 0:width]
    mask = (ys < int(height * 0.6)) & (xs >= 2) & (xs < width - 2) & (ys >= 2)
    mask &= ~((width - xs) + ys < width * 0.5)
    out = (mask * 255).astype(np.uint8)
    band = (ys >= int(height * 0.65)) & (ys < int(height * 0.9))
    ramp = np.rint(116 + 24 * xs / max(1, width - 1)).astype(np.uint8)
    out[band] = ramp[band]
    return out


def write_mask(path: Path, width: int, height: int) -> None:
    """``mask_<stem>.jpg``: grey JPEG at quality 50, saved by PIL as the original dataset."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask_shape(width, height), "L").save(path, quality=50)


def make_overlay_tree(root: Path, backgrounds=SMALL_BACKGROUNDS,
                      foregrounds=SMALL_FOREGROUNDS) -> OverlayTree:
    """Write ``root/{bg,fg,masks,depth}``."""
    root = Path(root)
    tree = OverlayTree(root, root / "bg", root / "fg", root / "masks", root / "depth")
    tree.mask_root.mkdir(parents=True, exist_ok=True)
    for seed, (rel, width, height) in enumerate(backgrounds):
        write_background(tree.bg_root / rel, width, height, seed)
        write_depth(tree.depth_root / Path(rel).with_suffix(".png"), width, height, seed)
    for rel, width, height, kind, mask in foregrounds:
        write_foreground(tree.fg_root / rel, width, height, kind)
        tree.fg_sizes[rel], tree.colours[rel] = (width, height), kind
        if mask:
            name = f"mask_{Path(rel).stem}.jpg"
            write_mask(tree.mask_root / name, width, height)
            tree.masks[rel] = name
    tree.backgrounds = sorted(rel for rel, _, _ in backgrounds)
    tree.foregrounds = sorted(rel for rel, *_ in foregrounds)
    return tree


# Reading the inputs back (what checks compare with) ---------------------------------------

def read_bgr(path: Path) -> np.ndarray:
    array = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert array is not None, path
    return array


def read_unchanged(path: Path) -> np.ndarray:
    array = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert array is not None, path
    return array


def canvas_resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """To (width, height): INTER_AREA when the pixel count shrinks, INTER_CUBIC when it grows."""
    if (array.shape[1], array.shape[0]) == tuple(size):
        return array
    shrink = size[0] * size[1] < array.shape[0] * array.shape[1]
    return cv2.resize(array, tuple(size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def nearest(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest neighbour to (width, height), pixel centres mapped (cv2 INTER_NEAREST_EXACT)."""
    if (array.shape[1], array.shape[0]) == tuple(size):
        return array
    return cv2.resize(array, tuple(size), interpolation=cv2.INTER_NEAREST_EXACT)
