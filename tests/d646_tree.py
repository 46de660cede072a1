"""Distinctions-646 trees for the tests, written with OpenCV alone (not with mattehub, nor with
its demo's stand-in), in the extracted release's layout (docs/sources.md):
``<root>/Distinctions-646/{Train,Test}/{FG,GT}/<name>.png`` (FG an RGBA PNG, GT the same
name, an 8-bit grey PNG) and a folder of JPEG backgrounds of mixed sizes.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

TRAIN = (("a(1).png", 64, 48), ("b.png", 40, 56))
TEST = (("t.png", 50, 40),)
BACKGROUNDS = tuple((f"bg_{k:02d}.jpg", 33 + 5 * k, 90 - 2 * k) for k in range(24))


def write_tree(root: Path, train=TRAIN, test=TEST, backgrounds=BACKGROUNDS) -> tuple[Path, Path]:
    """(data dir, background dir) below ``root``."""
    rng = np.random.default_rng(5)
    data = root / "release"
    for split, items in (("Train", train), ("Test", test)):
        for name, width, height in items:
            alpha = np.tile(np.linspace(0, 255, width).astype(np.uint8), (height, 1))
            colour = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            for folder, array in (("FG", np.dstack([colour, alpha])), ("GT", alpha)):
                path = data / "Distinctions-646" / split / folder / name
                path.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(path), array)
    bg = root / "bg"
    bg.mkdir(parents=True, exist_ok=True)
    for name, width, height in backgrounds:
        cv2.imwrite(str(bg / name), rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    return data, bg
