"""Stand-in P3M-10k trees, made independently of mattehub (PIL, numpy and Info-ZIP ``zip``).

The published layout (ViTAE-Transformer/P3M-Net README): ``P3M-10k/train/blurred_image/*.jpg``
+ ``train/mask/*.png``; ``P3M-10k/validation/P3M-500-P/{blurred_image,mask,trimap}`` and
``validation/P3M-500-NP/{original_image,mask,trimap}``; plus folders a reader must leave alone
(``train/fg``, ``validation/P3M-500-P/facemask``: later and optional downloads). Images are
noise JPEGs with a bright disc, mattes 8-bit grey PNGs with a ramped edge, trimaps 0/128/255
PNGs; names are written out of order. The maker records every file's bytes.
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
SETS = {
    "train": ("train", "blurred_image", (("p_9c0ffee1", 97, 130), ("p_0a1b2c3d", 120, 88),
                                         ("p_5e5e5e5e", 64, 71))),
    "p3m_500_p": ("validation/P3M-500-P", "blurred_image", (("p_d4fd9815", 90, 101),
                                                           ("p_4dfffce8", 77, 95))),
    "p3m_500_np": ("validation/P3M-500-NP", "original_image", (("p_b4a3c2d1", 110, 84),
                                                              ("p_07141906", 85, 99))),
}
"""mattehub split -> (folder below P3M-10k/, image folder, (name, width, height) as written)."""
PUBLISHED = {"train": ("train", True), "p3m_500_p": ("P3M-500-P", True),
             "p3m_500_np": ("P3M-500-NP", False)}
"""mattehub split -> (published set, face-blurred)."""


@dataclass
class P3mTree:
    root: Path
    """The folder holding ``P3M-10k/`` (pass it as --data-dir)."""
    files: dict[str, bytes] = field(default_factory=dict)
    """Every file written, by path relative to ``root/P3M-10k``."""

    def samples(self, split: str) -> list[dict]:
        """What a reader must make of ``split``: per name (sorted), the dataset-relative
        paths of its image, matte and trimap (None for train) and its size."""
        folder, image_folder, entries = SETS[split]
        out = []
        for name, width, height in sorted(entries):
            paths = {"image": f"{folder}/{image_folder}/{name}.jpg",
                     "alpha": f"{folder}/mask/{name}.png",
                     "trimap": None if split == "train" else f"{folder}/trimap/{name}.png"}
            if all(p is None or p in self.files for p in paths.values()):
                out.append({"name": name, "paths": paths, "width": width, "height": height})
        return out

    def write(self, relative: str, data: bytes) -> None:
        path = self.root / "P3M-10k" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files[relative] = data

    def remove(self, relative: str) -> None:
        (self.root / "P3M-10k" / relative).unlink()
        del self.files[relative]


def encoded(array: np.ndarray, kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, kind, **({"quality": 90} if kind == "JPEG" else {}))
    return buffer.getvalue()


def disc(width: int, height: int, seed: int) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    cx, cy = width * (0.4 + 0.05 * (seed % 4)), height * 0.5
    distance = np.hypot(xs - cx, ys - cy)
    return np.clip((0.3 * min(width, height) - distance) / 4 * 255 + 128, 0, 255).astype(np.uint8)


def make_p3m_tree(root: Path, seed: int = 0) -> P3mTree:
    rng = np.random.default_rng(seed)
    tree = P3mTree(Path(root))
    for split, (folder, image_folder, entries) in SETS.items():
        for number, (name, width, height) in enumerate(entries):
            matte = disc(width, height, number)
            noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            image = np.where(matte[:, :, None] >= 128, np.uint8(230), noise).astype(np.uint8)
            tree.write(f"{folder}/{image_folder}/{name}.jpg", encoded(image, "JPEG"))
            tree.write(f"{folder}/mask/{name}.png", encoded(matte, "PNG"))
            if split == "train":
                tree.write(f"{folder}/fg/{name}.jpg", encoded(image, "JPEG"))
                continue
            trimap = np.where(matte == 255, 255, np.where(matte == 0, 0, 128)).astype(np.uint8)
            tree.write(f"{folder}/trimap/{name}.png", encoded(trimap, "PNG"))
            if split == "p3m_500_p":
                tree.write(f"{folder}/facemask/{name}.png", encoded(matte // 2, "PNG"))
    return tree


def zip_tree(tree: P3mTree, out: Path) -> Path:
    """``out/P3M-10k.zip`` holding ``P3M-10k/`` (Info-ZIP ``zip -r``); returns ``out``."""
    assert ZIP, "these tests need Info-ZIP `zip`"
    out.mkdir(parents=True, exist_ok=True)
    for path in [tree.root / "P3M-10k", *(tree.root / "P3M-10k").rglob("*")]:
        os.utime(path, (1_600_000_000, 1_600_000_000))
    subprocess.run([ZIP, "-r", "-q", "-X", str((out / "P3M-10k.zip").resolve()), "P3M-10k"],
                   cwd=tree.root, check=True)
    return out
