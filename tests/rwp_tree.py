"""RWP-636 trees for the tests, written with PIL alone (not with mattehub, nor with its demo's
stand-in), in the published layout (docs/sources.md): ``RealWorldPortrait-636/image/<n>.jpg``,
``alpha/<n>.png`` (8-bit grey), ``detailmap/<n>_cloud_trimap.jpg``; ``zip_tree`` zips it with
the standard library."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

ITEMS = (("01_0001_input", 40, 30), ("01_0002_input", 36, 44), ("03_0100_input", 50, 38))


def alpha_of(width: int, height: int, k: int) -> np.ndarray:
    return ((np.arange(width)[None, :] * 7 + np.arange(height)[:, None] * 3 + k * 50) % 256).astype(np.uint8)


def write_tree(root: Path, items=ITEMS) -> Path:
    """The release below ``root``; returns ``root`` (the folder above RealWorldPortrait-636)."""
    top = root / "RealWorldPortrait-636"
    rng = np.random.default_rng(3)
    for k, (name, width, height) in enumerate(items):
        for sub in ("image", "alpha", "detailmap"):
            (top / sub).mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(
            top / "image" / f"{name}.jpg", quality=90)
        Image.fromarray(alpha_of(width, height, k), "L").save(top / "alpha" / f"{name}.png")
        Image.fromarray(np.zeros((height, width), np.uint8), "L").save(
            top / "detailmap" / f"{name}_cloud_trimap.jpg")
    return root


def zip_tree(root: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted((root / "RealWorldPortrait-636").rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(root).as_posix())
    return out
