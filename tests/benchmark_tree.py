"""Stand-in trees of image benchmarks, written independently of mattehub (PIL, numpy and
Info-ZIP ``zip``): each dataset's module (``p3m_tree.py``, ``am2k_tree.py``) spells its
published folders; this one writes the files and records their bytes.

Images are noise JPEGs with a bright disc, mattes 8-bit grey PNGs with a ramped edge (so a
reader must keep every grey level), trimaps 0/128/255 PNGs of the matte (unknown where it is
neither 0 nor 255).
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


@dataclass
class Tree:
    root: Path
    """The folder holding ``<top>/`` (pass it as --data-dir)."""
    top: str
    files: dict[str, bytes] = field(default_factory=dict)
    """Every file written, by path relative to ``root/<top>``."""

    def write(self, relative: str, data: bytes) -> None:
        path = self.root / self.top / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files[relative] = data

    def remove(self, relative: str) -> None:
        (self.root / self.top / relative).unlink()
        del self.files[relative]

    def entries(self, split: str) -> tuple[tuple[str, int, int], ...]:
        """(name, width, height) of the samples written for ``split`` (the dataset's)."""
        raise NotImplementedError

    def paths(self, split: str, name: str) -> dict[str, str | None]:
        """field -> path below ``<top>`` of sample ``name`` (the dataset's; trimap None
        where the split has none)."""
        raise NotImplementedError

    def samples(self, split: str) -> list[dict]:
        """What a reader must make of ``split``: per name (sorted), the dataset-relative
        paths of its files and its size; samples missing a file are left out."""
        out = []
        for name, width, height in sorted(self.entries(split)):
            found = self.paths(split, name)
            if all(p is None or p in self.files for p in found.values()):
                out.append({"name": name, "paths": found, "width": width, "height": height})
        return out


def encoded(array: np.ndarray, kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, kind, **({"quality": 90} if kind == "JPEG" else {}))
    return buffer.getvalue()


def disc(width: int, height: int, seed: int) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    cx, cy = width * (0.4 + 0.05 * (seed % 4)), height * 0.5
    distance = np.hypot(xs - cx, ys - cy)
    return np.clip((0.3 * min(width, height) - distance) / 4 * 255 + 128, 0, 255).astype(np.uint8)


def write_sample(tree: Tree, paths: dict[str, str], number: int, width: int, height: int,
                 rng: np.random.Generator) -> None:
    """One sample's files at ``paths`` (field -> path relative to ``<top>``: ``image``,
    ``alpha``, optionally ``trimap``)."""
    matte = disc(width, height, number)
    noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = np.where(matte[:, :, None] >= 128, np.uint8(230), noise).astype(np.uint8)
    tree.write(paths["image"], encoded(image, "JPEG"))
    tree.write(paths["alpha"], encoded(matte, "PNG"))
    if paths.get("trimap"):
        trimap = np.where(matte == 255, 255, np.where(matte == 0, 0, 128)).astype(np.uint8)
        tree.write(paths["trimap"], encoded(trimap, "PNG"))


def zip_tree(tree: Tree, out: Path, archive: str) -> Path:
    """``out/<archive>`` holding ``<top>/`` (Info-ZIP ``zip -r``); returns ``out``."""
    assert ZIP, "these tests need Info-ZIP `zip`"
    out.mkdir(parents=True, exist_ok=True)
    for path in [tree.root / tree.top, *(tree.root / tree.top).rglob("*")]:
        os.utime(path, (1_600_000_000, 1_600_000_000))
    subprocess.run([ZIP, "-r", "-q", "-X", str((out / archive).resolve()), tree.top],
                   cwd=tree.root, check=True)
    return out
