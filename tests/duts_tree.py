"""Stand-in DUTS trees, made independently of mattehub (PIL and the Info-ZIP ``zip`` tool).

The published layout: ``DUTS-TR/DUTS-TR-Image/<name>.jpg`` + ``DUTS-TR/DUTS-TR-Mask/<name>.png``
and the same for ``DUTS-TE``; zipped, ``DUTS-TR.zip`` holds the ``DUTS-TR/`` folder. Images
are noise JPEGs (so a zip does not shrink below its split size) with a bright disc as the
object; masks are 8-bit grey PNGs with soft (ramped) edges, so a trimap must threshold. Sizes
are not multiples of 40 and one image is smaller than 40 px (a 1 x 1 trimap kernel). Names
are written out of order; a reader must sort them. The maker records every file's bytes and
the pairs a correct reader must find.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

ZIP = shutil.which("zip")
TOPS = {"train": "DUTS-TR", "test": "DUTS-TE"}
DEFAULT_SETS = {
    "DUTS-TR": (("n02085620_1152", 150, 97), ("ILSVRC2012_test_00000004", 83, 121),
                ("sun_tiny_0001", 36, 30), ("ILSVRC2013_test_00000011", 330, 251)),
    "DUTS-TE": (("sun_aaadvzmqwgtpzxyq", 121, 88), ("ILSVRC2012_test_00000003", 95, 130)),
}
"""DUTS folder -> (name, width, height), in the (unsorted) order written."""


@dataclass
class DutsTree:
    """A written tree and what a reader must make of it."""

    root: Path
    """The folder holding ``DUTS-TR/`` and ``DUTS-TE/`` (pass it as --data-dir)."""
    files: dict[str, bytes] = field(default_factory=dict)
    """Every file written, by path relative to ``root``."""
    names: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    """DUTS folder -> (name, width, height) of each image written."""

    def pairs(self, split: str) -> list[tuple[str, str, str]]:
        """(name, image path, mask path) of the pairs of ``split``, sorted by name: both
        files present."""
        top = TOPS[split]
        found = []
        for name, _, _ in self.names.get(top, []):
            image, mask = self.image_path(top, name), self.mask_path(top, name)
            if image in self.files and mask in self.files:
                found.append((name, image, mask))
        return sorted(found)

    @staticmethod
    def image_path(top: str, name: str) -> str:
        return f"{top}/{top}-Image/{name}.jpg"

    @staticmethod
    def mask_path(top: str, name: str) -> str:
        return f"{top}/{top}-Mask/{name}.png"

    def write(self, relative: str, data: bytes) -> None:
        """Write (or replace) a file of the tree and record it."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files[relative] = data

    def remove(self, relative: str) -> None:
        (self.root / relative).unlink()
        del self.files[relative]


def disc_mask(width: int, height: int, seed: int) -> np.ndarray:
    """An 8-bit mask: a disc (off centre, by ``seed``) with a 3-pixel ramp at its edge."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    cx, cy = width * (0.4 + 0.05 * (seed % 4)), height * (0.45 + 0.03 * (seed % 3))
    radius = 0.3 * min(width, height) + 1
    distance = np.hypot(xs - cx, ys - cy)
    return np.clip((radius - distance) / 3 * 255 + 128, 0, 255).astype(np.uint8)


def jpeg_bytes(rgb: np.ndarray, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def png_bytes(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, "PNG")
    return buffer.getvalue()


def make_duts_tree(root: Path, sets: dict = DEFAULT_SETS, seed: int = 0) -> DutsTree:
    """Write both splits (``sets``: DUTS folder -> (name, width, height)) under ``root``."""
    rng = np.random.default_rng(seed)
    tree = DutsTree(Path(root))
    for top, entries in sets.items():
        tree.names[top] = list(entries)
        for number, (name, width, height) in enumerate(entries):
            mask = disc_mask(width, height, number)
            noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            image = np.where(mask[:, :, None] >= 128, np.uint8(235), noise).astype(np.uint8)
            tree.write(tree.image_path(top, name), jpeg_bytes(image))
            tree.write(tree.mask_path(top, name), png_bytes(mask, "L"))
    return tree


def zip_tree(tree: DutsTree, out: Path, tops=("DUTS-TR", "DUTS-TE"), split_size: str | None = None
             ) -> Path:
    """``<top>.zip`` of each DUTS folder into ``out`` with Info-ZIP (``zip -r -q``; ``zip -s
    split_size`` for a split archive ``<top>.z01 ..`` + ``<top>.zip``); returns ``out``."""
    assert ZIP, "these tests need Info-ZIP `zip`"
    out.mkdir(parents=True, exist_ok=True)
    for top in tops:
        for path in [tree.root / top, *(tree.root / top).rglob("*")]:
            os.utime(path, (1_600_000_000, 1_600_000_000))
        command = [ZIP, "-r", "-q", "-X"] + (["-s", split_size] if split_size else [])
        archive = str((out / f"{top}.zip").resolve())
        subprocess.run(command + [archive, top], cwd=tree.root, check=True)
    return out
