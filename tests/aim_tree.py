"""An Adobe Image Matting tree for the ``aim`` tests, written independently of mattehub
(docs/sources.md, 'Adobe Image Matting and Composition-1k'; the prepared layout matting code bases use).

* ``data/train/fg``: foregrounds, PNG and one JPEG (``d.jpg``, whose alpha is ``d.png``:
  pairs by stem), random blocky colours so resampling or channel errors show;
* ``data/train/alpha``: 8-bit grey PNG alphas under the same names: 0 and 255 regions and a
  soft ramp between them (every level present in the larger ones);
* ``data/test/{merged,trimaps,alpha_copy}``: ``t1_0``, ``t1_2``, ``t1_10`` (natural order
  puts 10 last) and ``t2_0``: random composites, 0/128/255 trimaps, grey alphas (PNG);
* ``bg``: backgrounds smaller than some foregrounds (scaled up), larger (cropped only),
  exactly one foreground's size, JPEG and PNG, one in a sub-folder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

# (file name, width, height)
FOREGROUNDS = (("a.png", 60, 80), ("b.png", 90, 50), ("c.png", 40, 40), ("d.jpg", 50, 70))
ALPHA_NAMES = {"d.jpg": "d.png"}
BACKGROUNDS = (("s0.jpg", 50, 40), ("s1.png", 200, 150), ("sub/s2.jpg", 70, 120),
               ("s3.png", 40, 40), ("s4.jpg", 33, 97))
TESTS = (("t1_0", 48, 36), ("t1_2", 48, 36), ("t1_10", 48, 36), ("t2_0", 30, 30))
"""Composite stems in natural order, with their sizes."""


@dataclass
class AimTree:
    data_dir: Path
    bg_root: Path
    foregrounds: list[str] = field(default_factory=list)
    """fg file names in sorted order (the recipe's foreground numbering)."""
    alphas: dict[str, str] = field(default_factory=dict)
    """fg name -> alpha file name."""
    backgrounds: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    """Test composite stems in natural order."""

    def args(self, *extra: str) -> list[str]:
        return ["--data-dir", str(self.data_dir), "--bg-root", str(self.bg_root), *extra]

    def fg_path(self, name: str) -> Path:
        return self.data_dir / "train" / "fg" / name

    def alpha_path(self, name: str) -> Path:
        return self.data_dir / "train" / "alpha" / self.alphas[name]

    def test_path(self, folder: str, stem: str) -> Path:
        return self.data_dir / "test" / folder / f"{stem}.png"


def _write(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, 90] if path.suffix == ".jpg" else []
    assert cv2.imwrite(str(path), array, params), path


def _blocks(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    small = rng.integers(0, 256, (max(2, height // 6), max(2, width // 6), 3), dtype=np.uint8)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)


def soft_alpha(width: int, height: int, seed: int) -> np.ndarray:
    """0 on the left, 255 on the right, a horizontal ramp between, and a noisy band."""
    rng = np.random.default_rng(seed)
    ramp = np.clip((np.arange(width) - width * 0.2) / (width * 0.6), 0, 1) * 255
    alpha = np.repeat(np.rint(ramp)[None, :], height, axis=0)
    band = slice(height // 3, height // 3 + max(1, height // 6))
    alpha[band] = rng.integers(0, 256, alpha[band].shape)
    return alpha.astype(np.uint8)


def make_aim_tree(root: Path, train: bool = True, test: bool = True) -> AimTree:
    """Write the tree below ``root`` (``root/data`` and ``root/bg``)."""
    root = Path(root)
    tree = AimTree(root / "data", root / "bg")
    rng = np.random.default_rng(7)
    if train:
        for number, (name, width, height) in enumerate(FOREGROUNDS):
            alpha_name = ALPHA_NAMES.get(name, name)
            _write(tree.data_dir / "train" / "fg" / name, _blocks(rng, width, height))
            _write(tree.data_dir / "train" / "alpha" / alpha_name, soft_alpha(width, height, number))
            tree.alphas[name] = alpha_name
        tree.foregrounds = sorted(name for name, _, _ in FOREGROUNDS)
        for name, width, height in BACKGROUNDS:
            _write(tree.bg_root / name, _blocks(rng, width, height))
        tree.backgrounds = sorted(name for name, _, _ in BACKGROUNDS)
    if test:
        for number, (stem, width, height) in enumerate(TESTS):
            _write(tree.test_path("merged", stem), _blocks(rng, width, height))
            alpha = soft_alpha(width, height, 100 + number)
            tri = np.where(alpha == 0, 0, np.where(alpha == 255, 255, 128)).astype(np.uint8)
            _write(tree.test_path("trimaps", stem), tri)
            _write(tree.test_path("alpha_copy", stem), alpha)
        tree.tests = [stem for stem, _, _ in TESTS]
    return tree


def dim_composite(fg: np.ndarray, alpha: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Deep Image Matting's composition written out here with OpenCV: (image, bg as
    composited, scale). The background is scaled by max(fg_w/bg_w, fg_h/bg_h) when that is
    > 1 (ceil of the new size, bicubic), cropped at the top-left to the fg's size; image =
    alpha*fg + (1-alpha)*bg in float64, rounded."""
    import math

    h, w = alpha.shape
    bh, bw = bg.shape[:2]
    wratio, hratio = w / bw, h / bh
    ratio = wratio if wratio > hratio else hratio
    if ratio > 1:
        bg = cv2.resize(bg, (math.ceil(bw * ratio), math.ceil(bh * ratio)), interpolation=cv2.INTER_CUBIC)
    else:
        ratio = 1.0
    bg = bg[0:h, 0:w]
    a = alpha.astype(np.float64)[:, :, None] / 255.0
    image = np.rint(a * fg.astype(np.float64) + (1 - a) * bg.astype(np.float64)).astype(np.uint8)
    return image, bg, ratio
